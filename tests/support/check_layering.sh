#!/usr/bin/env bash
# auth/ and providers/ never include Widgets (nor WebEngine): --doctor and --print run without a GUI.
set -u
root=$1
hits=$(grep -rnE '#\s*include\s*[<"](QtWidgets|QtWebEngine|QWidget|QDialog|QMainWindow|QMessageBox|QApplication)' \
    "$root/auth" "$root/providers" "$root/app/chat" 2>/dev/null)
if [ -n "$hits" ]; then
    echo "Widgets headers in the core libraries:"; echo "$hits"; exit 1
fi
if grep -nE '^[^#]*(Widgets|WebEngine)' "$root/auth/CMakeLists.txt" "$root/providers/CMakeLists.txt" "$root/app/chat/CMakeLists.txt"; then
    echo "A core library links Widgets or WebEngine"; exit 1
fi
echo "auth/, providers/ and app/chat/ are free of Widgets"
