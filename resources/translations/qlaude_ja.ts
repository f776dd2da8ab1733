<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja">
<context>
    <name>DialogSupport</name>
    <message>
        <source>Show</source>
        <translation>表示</translation>
    </message>
    <message>
        <source>Show the text</source>
        <translation>テキストを表示</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>隠す</translation>
    </message>
    <message>
        <source>Hide the text</source>
        <translation>テキストを隠す</translation>
    </message>
</context>
<context>
    <name>MessageLayoutBuilder</name>
    <message>
        <source>Waiting for the answer…</source>
        <translation>回答を待っています…</translation>
    </message>
    <message>
        <source>Stopped. You ended this answer early; the text above is partial.</source>
        <translation>停止しました。この回答を途中で終了したため、上のテキストは一部のみです。</translation>
    </message>
    <message>
        <source>Interrupted. Qlaude closed before this answer finished; the text above is partial.</source>
        <translation>中断されました。回答が終わる前に Qlaude が終了したため、上のテキストは一部のみです。</translation>
    </message>
    <message>
        <source>This answer failed.</source>
        <translation>この回答は失敗しました。</translation>
    </message>
    <message>
        <source>This answer failed: %1</source>
        <translation>この回答は失敗しました: %1</translation>
    </message>
    <message>
        <source>Thought process</source>
        <translation>思考プロセス</translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>考えています…</translation>
    </message>
    <message>
        <source>Preparing the input…</source>
        <translation>入力を準備しています…</translation>
    </message>
    <message>
        <source>Tool use</source>
        <translation>ツールの使用</translation>
    </message>
    <message>
        <source>Tool result</source>
        <translation>ツールの結果</translation>
    </message>
    <message>
        <source>reported an error</source>
        <translation>エラーを報告しました</translation>
    </message>
    <message>
        <source>Part of Claude&apos;s reasoning was encrypted by the provider and is not shown. It is kept and sent back unchanged.</source>
        <translation>Claude の推論の一部はプロバイダーによって暗号化されているため表示されません。そのまま保持され、変更せずに送り返されます。</translation>
    </message>
    <message>
        <source>This answer contains a kind of content Qlaude cannot show yet.</source>
        <translation>この回答には、Qlaude がまだ表示できない種類の内容が含まれています。</translation>
    </message>
</context>
<context>
    <name>MessageModel</name>
    <message>
        <source>You</source>
        <translation>あなた</translation>
    </message>
    <message>
        <source>Claude</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Claude</translation>
    </message>
    <message>
        <source> (stopped)</source>
        <translation> (停止)</translation>
    </message>
    <message>
        <source> (interrupted)</source>
        <translation> (中断)</translation>
    </message>
    <message>
        <source> (error: %1)</source>
        <translation> (エラー: %1)</translation>
    </message>
    <message>
        <source> (writing)</source>
        <translation> (入力中)</translation>
    </message>
    <message>
        <source> (version %1 of %2)</source>
        <translation> (バージョン %1/%2)</translation>
    </message>
</context>
<context>
    <name>ProviderCheck</name>
    <message>
        <source>Credential: %1 (%2</source>
        <translation>認証情報: %1 (%2</translation>
    </message>
    <message>
        <source>Requests: %1 (%2), timeout %3 ms</source>
        <translation>リクエスト: %1 (%2)、タイムアウト %3 ms</translation>
    </message>
    <message>
        <source>%1 is selected, so requests do not go to the Anthropic API. Choose Anthropic on the Provider page to use it, then test again.</source>
        <translation>%1 が選択されているため、リクエストは Anthropic API に送られません。Anthropic API を使うには「プロバイダー」ページで Anthropic を選び、もう一度テストしてください。</translation>
    </message>
    <message>
        <source>%1 is not selected; %2 is. Choose %1 on the Provider page, then test again.</source>
        <translation>%1 は選択されていません（選択されているのは %2 です）。「プロバイダー」ページで %1 を選び、もう一度テストしてください。</translation>
    </message>
</context>
<context>
    <name>ProviderSettingsPage</name>
    <message>
        <source>Anthropic</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Anthropic</translation>
    </message>
    <message>
        <source>Requests to the Anthropic API, or to a gateway in front of it.</source>
        <translation>Anthropic API、またはその手前のゲートウェイへのリクエストです。</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>ベース URL</translation>
    </message>
    <message>
        <source>Where requests go. Change it only for a gateway or proxy.</source>
        <translation>リクエストの送信先です。ゲートウェイやプロキシを使う場合にのみ変更してください。</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>モデル</translation>
    </message>
    <message>
        <source>The model for new chats, for example claude-sonnet-4-5, or an alias.</source>
        <translation>新しいチャットで使うモデルです。例: claude-sonnet-4-5、またはエイリアス。</translation>
    </message>
    <message>
        <source>Qlaude&apos;s default model</source>
        <translation>Qlaude の既定のモデル</translation>
    </message>
    <message>
        <source>Custom headers</source>
        <translation>カスタムヘッダー</translation>
    </message>
    <message>
        <source>One &quot;Name: Value&quot; per line, sent with every request.</source>
        <translation>1 行に 1 つの「Name: Value」。すべてのリクエストで送信されます。</translation>
    </message>
    <message>
        <source>Timeout (ms)</source>
        <translation>タイムアウト(ms)</translation>
    </message>
    <message>
        <source>How long one attempt may take, in milliseconds.</source>
        <translation>1 回の試行にかけられる時間(ミリ秒)です。</translation>
    </message>
    <message>
        <source>Beta features</source>
        <translation>ベータ機能</translation>
    </message>
    <message>
        <source>Comma-separated anthropic-beta values to send.</source>
        <translation>送信する anthropic-beta の値(カンマ区切り)です。</translation>
    </message>
    <message>
        <source>Additional protection</source>
        <translation>追加の保護</translation>
    </message>
    <message>
        <source>Sends x-anthropic-additional-protection: true with every request.</source>
        <translation>すべてのリクエストで x-anthropic-additional-protection: true を送信します。</translation>
    </message>
    <message>
        <source>AWS Bedrock</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>AWS Bedrock</translation>
    </message>
    <message>
        <source>Claude through Amazon Bedrock, with your AWS credentials.</source>
        <translation>AWS の認証情報を使い、Amazon Bedrock 経由で Claude を利用します。</translation>
    </message>
    <message>
        <source>Region</source>
        <translation>リージョン</translation>
    </message>
    <message>
        <source>The AWS region that serves the model.</source>
        <translation>モデルを提供する AWS リージョンです。</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>プロファイル</translation>
    </message>
    <message>
        <source>A profile from ~/.aws/config and ~/.aws/credentials.</source>
        <translation>~/.aws/config と ~/.aws/credentials にあるプロファイルです。</translation>
    </message>
    <message>
        <source>Endpoint URL</source>
        <translation>エンドポイント URL</translation>
    </message>
    <message>
        <source>Only for a proxy or a private endpoint.</source>
        <translation>プロキシまたはプライベートエンドポイントの場合のみ指定します。</translation>
    </message>
    <message>
        <source>the region&apos;s Bedrock endpoint</source>
        <translation>リージョンの Bedrock エンドポイント</translation>
    </message>
    <message>
        <source>The model for new chats: a Bedrock model or inference profile id. Shared with the other pages&apos; Model field.</source>
        <translation>新しいチャットで使うモデルです。Bedrock のモデル ID または推論プロファイル ID を指定します。他のページの [モデル] 欄と共通です。</translation>
    </message>
    <message>
        <source>Skip AWS authentication</source>
        <translation>AWS の認証をスキップ</translation>
    </message>
    <message>
        <source>Send requests unsigned, for a proxy that signs them itself.</source>
        <translation>リクエストを署名せずに送信します。リクエストに自分で署名するプロキシ向けです。</translation>
    </message>
    <message>
        <source>Bedrock API key</source>
        <translation>Bedrock API キー</translation>
    </message>
    <message>
        <source>A Bedrock API key, used instead of AWS credentials. Kept in the keychain.</source>
        <translation>AWS の認証情報の代わりに使う Bedrock API キーです。キーチェーンに保存されます。</translation>
    </message>
    <message>
        <source>Google Vertex AI</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Google Vertex AI</translation>
    </message>
    <message>
        <source>Claude through Google Cloud Vertex AI, with Application Default Credentials.</source>
        <translation>Application Default Credentials を使い、Google Cloud Vertex AI 経由で Claude を利用します。</translation>
    </message>
    <message>
        <source>Project ID</source>
        <translation>プロジェクト ID</translation>
    </message>
    <message>
        <source>The Google Cloud project that has Claude enabled. When empty, GOOGLE_CLOUD_PROJECT, the credentials file or gcloud&apos;s configuration names it.</source>
        <translation>Claude が有効になっている Google Cloud プロジェクトです。空の場合は、GOOGLE_CLOUD_PROJECT、認証情報ファイル、または gcloud の構成で指定されたものを使います。</translation>
    </message>
    <message>
        <source>The Vertex AI region, or &quot;global&quot;. VERTEX_REGION_CLAUDE_* variables override it per model family.</source>
        <translation>Vertex AI のリージョン、または「global」です。VERTEX_REGION_CLAUDE_* 変数がモデルファミリーごとにこれを上書きします。</translation>
    </message>
    <message>
        <source>Credentials file</source>
        <translation>認証情報ファイル</translation>
    </message>
    <message>
        <source>A service-account key or other credentials JSON file. When empty, the file `gcloud auth application-default login` writes is used, then the metadata server.</source>
        <translation>サービスアカウントキー、またはその他の認証情報の JSON ファイルです。空の場合は `gcloud auth application-default login` が書き込むファイルを使い、次にメタデータサーバーを使います。</translation>
    </message>
    <message>
        <source>the region&apos;s Vertex AI endpoint</source>
        <translation>リージョンの Vertex AI エンドポイント</translation>
    </message>
    <message>
        <source>The model for new chats, as Vertex AI names it. Shared with the other pages&apos; Model field.</source>
        <translation>新しいチャットで使うモデルです。Vertex AI での名前で指定します。他のページの [モデル] 欄と共通です。</translation>
    </message>
    <message>
        <source>Skip Google authentication</source>
        <translation>Google の認証をスキップ</translation>
    </message>
    <message>
        <source>Send requests without a Google token, for a proxy that adds it.</source>
        <translation>Google のトークンなしでリクエストを送信します。トークンを付加するプロキシ向けです。</translation>
    </message>
    <message>
        <source>Microsoft Foundry</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Microsoft Foundry</translation>
    </message>
    <message>
        <source>Claude through Microsoft Foundry, with an API key or Microsoft Entra ID.</source>
        <translation>API キーまたは Microsoft Entra ID を使い、Microsoft Foundry 経由で Claude を利用します。</translation>
    </message>
    <message>
        <source>Resource name</source>
        <translation>リソース名</translation>
    </message>
    <message>
        <source>Requests go to https://&lt;resource&gt;.services.ai.azure.com/anthropic.</source>
        <translation>リクエストは https://&lt;resource&gt;.services.ai.azure.com/anthropic に送信されます。</translation>
    </message>
    <message>
        <source>Use it instead of the resource name for another endpoint; when both are set, this one wins.</source>
        <translation>別のエンドポイントを使う場合に、リソース名の代わりに指定します。両方が設定されている場合はこちらが優先されます。</translation>
    </message>
    <message>
        <source>The model for new chats: your deployment&apos;s name. Shared with the other pages&apos; Model field.</source>
        <translation>新しいチャットで使うモデルです。デプロイの名前を指定します。他のページの [モデル] 欄と共通です。</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API キー</translation>
    </message>
    <message>
        <source>The resource&apos;s key, sent as x-api-key instead of Microsoft Entra ID sign-in. Kept in the keychain.</source>
        <translation>リソースのキーです。Microsoft Entra ID でのサインインの代わりに x-api-key として送信されます。キーチェーンに保存されます。</translation>
    </message>
    <message>
        <source>Tenant ID</source>
        <translation>テナント ID</translation>
    </message>
    <message>
        <source>For Entra ID sign-in with an app registration (a service principal).</source>
        <translation>アプリの登録(サービスプリンシパル)による Entra ID でのサインイン用です。</translation>
    </message>
    <message>
        <source>Client ID</source>
        <translation>クライアント ID</translation>
    </message>
    <message>
        <source>The app registration&apos;s application (client) ID.</source>
        <translation>アプリの登録のアプリケーション(クライアント) ID です。</translation>
    </message>
    <message>
        <source>Client secret</source>
        <translation>クライアントシークレット</translation>
    </message>
    <message>
        <source>The app registration&apos;s secret. Kept in the keychain. Without one, Qlaude uses workload or managed identity, then `az login`.</source>
        <translation>アプリの登録のシークレットです。キーチェーンに保存されます。ない場合、Qlaude はワークロード ID またはマネージド ID を使い、次に `az login` を使います。</translation>
    </message>
    <message>
        <source>Skip Azure authentication</source>
        <translation>Azure の認証をスキップ</translation>
    </message>
    <message>
        <source>Send requests without Azure credentials, for a proxy that adds them.</source>
        <translation>Azure の認証情報なしでリクエストを送信します。認証情報を付加するプロキシ向けです。</translation>
    </message>
    <message>
        <source>Network</source>
        <translation>ネットワーク</translation>
    </message>
    <message>
        <source>How every provider, sign-in and token request reaches the network: a proxy, your company&apos;s CA certificates and a client certificate. The same variables as the Claude Code CLI.</source>
        <translation>すべてのプロバイダー、サインイン、トークンのリクエストがネットワークに到達する方法です: プロキシ、会社の CA 証明書、クライアント証明書。Claude Code CLI と同じ変数を使います。</translation>
    </message>
    <message>
        <source>Proxy</source>
        <translation>プロキシ</translation>
    </message>
    <message>
        <source>An http:// proxy for every request, with user@ when it asks for a name. Leave the password out: it would be saved in plaintext. Use proxyAuthHelper, or HTTPS_PROXY in the environment, instead.</source>
        <translation>すべてのリクエストに使う http:// プロキシです。ユーザー名を求められる場合は user@ を付けます。パスワードは含めないでください。平文で保存されてしまいます。代わりに proxyAuthHelper か、環境変数 HTTPS_PROXY を使ってください。</translation>
    </message>
    <message>
        <source>No proxy for</source>
        <translation>プロキシを使わないホスト</translation>
    </message>
    <message>
        <source>Hosts that go direct: example.com, .example.com (with its subdomains), 10.0.0.0/8, or * for all.</source>
        <translation>直接接続するホストです: example.com、.example.com(サブドメインを含む)、10.0.0.0/8、またはすべてなら *。</translation>
    </message>
    <message>
        <source>Extra CA certificates</source>
        <translation>追加の CA 証明書</translation>
    </message>
    <message>
        <source>A PEM file with your company&apos;s CA certificates, trusted in addition to the system&apos;s. Needed behind a proxy that inspects TLS.</source>
        <translation>会社の CA 証明書を含む PEM ファイルです。システムの証明書に加えて信頼されます。TLS を検査するプロキシの内側では必要です。</translation>
    </message>
    <message>
        <source>Client certificate</source>
        <translation>クライアント証明書</translation>
    </message>
    <message>
        <source>A PEM file, for a gateway that requires mutual TLS. Sent to the API and to token servers.</source>
        <translation>相互 TLS を必要とするゲートウェイ用の PEM ファイルです。API とトークンサーバーに送信されます。</translation>
    </message>
    <message>
        <source>Client key</source>
        <translation>クライアントキー</translation>
    </message>
    <message>
        <source>The certificate&apos;s private key, a PEM file.</source>
        <translation>証明書の秘密鍵(PEM ファイル)です。</translation>
    </message>
    <message>
        <source>Key passphrase</source>
        <translation>キーのパスフレーズ</translation>
    </message>
    <message>
        <source>For an encrypted key. Kept in the keychain.</source>
        <translation>暗号化されたキー用です。キーチェーンに保存されます。</translation>
    </message>
    <message>
        <source>Enter a full http:// or https:// address, for example https://gateway.example.com.</source>
        <translation>http:// または https:// で始まる完全なアドレスを入力してください(例: https://gateway.example.com)。</translation>
    </message>
    <message>
        <source>Leave the password out of the proxy address: Save would write it to the settings file in plaintext. Use proxyAuthHelper, or set HTTPS_PROXY in the environment.</source>
        <translation>プロキシのアドレスにパスワードを含めないでください。[保存] するとパスワードが平文で設定ファイルに書き込まれます。proxyAuthHelper を使うか、環境変数 HTTPS_PROXY を設定してください。</translation>
    </message>
    <message>
        <source>Enter a whole number of milliseconds greater than 0, for example 600000.</source>
        <translation>0 より大きいミリ秒数を整数で入力してください(例: 600000)。</translation>
    </message>
    <message>
        <source>Separate the values with commas; a value cannot be empty or contain spaces.</source>
        <translation>値はカンマで区切ってください。値を空にしたり、空白を含めたりすることはできません。</translation>
    </message>
    <message>
        <source>A passphrase is one line. Type it again.</source>
        <translation>パスフレーズは 1 行です。もう一度入力してください。</translation>
    </message>
    <message>
        <source>This contains spaces, line breaks or other characters a key never has. Copy it again and paste it here.</source>
        <translation>キーには含まれない空白、改行、その他の文字が含まれています。もう一度コピーして、ここに貼り付けてください。</translation>
    </message>
    <message>
        <source>%1 cannot contain spaces.</source>
        <translation>%1 に空白を含めることはできません。</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>Trust not saved</source>
        <translation>信頼の設定は保存されませんでした</translation>
    </message>
    <message>
        <source>%1
The folder is trusted for this run only.</source>
        <translation>%1
このフォルダーは今回の実行中のみ信頼されます。</translation>
    </message>
    <message>
        <source>Decision not saved</source>
        <translation>選択は保存されませんでした</translation>
    </message>
    <message>
        <source>%1
Qlaude will ask about this folder again next time.</source>
        <translation>%1
次回、Qlaude はこのフォルダーについて再度確認します。</translation>
    </message>
    <message>
        <source>Chat history unavailable</source>
        <translation>チャット履歴を利用できません</translation>
    </message>
    <message>
        <source>%1

Qlaude did not change the file. Move it aside or free disk space, then start Qlaude again.</source>
        <translation>%1

Qlaude はファイルを変更していません。ファイルを別の場所へ移動するかディスクの空き容量を確保してから、Qlaude を再起動してください。</translation>
    </message>
    <message>
        <source>No credential is available. Log in (File &gt; Log in) or set ANTHROPIC_API_KEY.</source>
        <translation>利用できる認証情報がありません。ログインする([ファイル] &gt; [ログイン])か、ANTHROPIC_API_KEY を設定してください。</translation>
    </message>
    <message>
        <source>Qlaude is already showing %1: its window was raised.</source>
        <translation>Qlaude はすでに %1 を表示しています。そのウィンドウを前面に表示しました。</translation>
    </message>
    <message>
        <source>Qlaude is already running: it opens %1 in a new window.</source>
        <translation>Qlaude はすでに実行中です。%1 を新しいウィンドウで開きます。</translation>
    </message>
    <message>
        <source>The keychain entry is not a valid chunk header.</source>
        <translation>キーチェーンのエントリは有効な分割ヘッダーではありません。</translation>
    </message>
    <message>
        <source>The keychain holds %1 of the %2 parts of this secret. Sign in or save it again.</source>
        <translation>キーチェーンには、このシークレットの %2 個の部分のうち %1 個しかありません。サインインするか、もう一度保存してください。</translation>
    </message>
    <message>
        <source>The parts of this secret in the keychain do not fit together (one changed). Sign in or save it again.</source>
        <translation>キーチェーン内のこのシークレットの各部分が一致しません(一部が変更されています)。サインインするか、もう一度保存してください。</translation>
    </message>
    <message>
        <source>The embedded browser is not installed with this copy of Qlaude. Install the qlaude-webauth package with your package manager (apt install qlaude-webauth), or use the system browser or paste the code instead.</source>
        <translation>この Qlaude には埋め込みブラウザーがインストールされていません。パッケージマネージャーで qlaude-webauth パッケージをインストールする(apt install qlaude-webauth)か、代わりにシステムのブラウザーを使うかコードを貼り付けてください。</translation>
    </message>
    <message>
        <source>The embedded browser is not installed with this copy of Qlaude. Reinstall Qlaude with the embedded browser, or use the system browser or paste the code instead.</source>
        <translation>この Qlaude には埋め込みブラウザーがインストールされていません。埋め込みブラウザー付きで Qlaude を再インストールするか、代わりにシステムのブラウザーを使うかコードを貼り付けてください。</translation>
    </message>
    <message>
        <source>The embedded browser could not be loaded: %1 (%2). Use the system browser or paste the code instead.</source>
        <translation>埋め込みブラウザーを読み込めませんでした: %1 (%2)。代わりにシステムのブラウザーを使うか、コードを貼り付けてください。</translation>
    </message>
</context>
<context>
    <name>qlaude::AnthropicClient</name>
    <message>
        <source>ANTHROPIC_BASE_URL is not an http(s) URL</source>
        <translation>ANTHROPIC_BASE_URL は http(s)の URL ではありません</translation>
    </message>
</context>
<context>
    <name>qlaude::ApiCall</name>
    <message>
        <source>connection refused</source>
        <translation>接続が拒否されました</translation>
    </message>
    <message>
        <source>the server closed the connection</source>
        <translation>サーバーが接続を閉じました</translation>
    </message>
    <message>
        <source>host not found</source>
        <translation>ホストが見つかりません</translation>
    </message>
    <message>
        <source>TLS handshake failed</source>
        <translation>TLS ハンドシェイクに失敗しました</translation>
    </message>
    <message>
        <source>proxy error: %1</source>
        <translation>プロキシのエラー: %1</translation>
    </message>
    <message>
        <source>No provider is configured</source>
        <translation>プロバイダーが設定されていません</translation>
    </message>
    <message>
        <source>Check the provider settings shown by qlaude --doctor.</source>
        <translation>qlaude --doctor が表示するプロバイダー設定を確認してください。</translation>
    </message>
    <message>
        <source>The server&apos;s answer was not a valid event stream (SSE); it began with &quot;%1&quot;</source>
        <translation>サーバーの応答は有効なイベントストリーム(SSE)ではありませんでした。応答の先頭は「%1」でした</translation>
    </message>
    <message>
        <source>Check that the base URL points at the API and not at a proxy or web page, and any gateway between you and the API.</source>
        <translation>ベース URL がプロキシや Web ページではなく API を指しているか確認し、API との間にあるゲートウェイも確認してください。</translation>
    </message>
    <message>
        <source>The answer could not be read: %1</source>
        <translation>回答を読み取れませんでした: %1</translation>
    </message>
    <message>
        <source>Try again; if it keeps happening, check any proxy or gateway between you and the API.</source>
        <translation>もう一度試してください。繰り返し起きる場合は、API との間にあるプロキシやゲートウェイを確認してください。</translation>
    </message>
    <message>
        <source>The proxy asked for credentials and proxyAuthHelper failed: %1</source>
        <translation>プロキシが認証情報を要求しましたが、proxyAuthHelper が失敗しました: %1</translation>
    </message>
    <message>
        <source>the answer ended early</source>
        <translation>回答が途中で終わりました</translation>
    </message>
    <message>
        <source>The answer stalled: no complete event arrived for %1 s (API_TIMEOUT_MS=%2)</source>
        <translation>回答が止まりました: %1 秒間、完全なイベントが届きませんでした(API_TIMEOUT_MS=%2)</translation>
    </message>
    <message>
        <source>The answer stalled: nothing but keep-alive pings for %1 s (CLAUDE_STREAM_IDLE_TIMEOUT_MS=%2)</source>
        <translation>回答が止まりました: %1 秒間、キープアライブの ping しか届きませんでした(CLAUDE_STREAM_IDLE_TIMEOUT_MS=%2)</translation>
    </message>
    <message>
        <source>Try again, or raise CLAUDE_STREAM_IDLE_TIMEOUT_MS if long pauses are expected.</source>
        <translation>もう一度試すか、長い中断が想定される場合は CLAUDE_STREAM_IDLE_TIMEOUT_MS を大きくしてください。</translation>
    </message>
    <message>
        <source>The API did not answer within %1 s (API_TIMEOUT_MS=%2)</source>
        <translation>API が %1 秒以内に応答しませんでした(API_TIMEOUT_MS=%2)</translation>
    </message>
    <message>
        <source>The server redirected the request (HTTP %1) to %2, another origin; Qlaude does not send your credential or conversation there</source>
        <translation>サーバーがリクエストを別のオリジンである %2 にリダイレクトしました(HTTP %1)。Qlaude はそこへ認証情報や会話を送信しません</translation>
    </message>
    <message>
        <source>If that address is the right one, set the provider&apos;s base URL to it.</source>
        <translation>そのアドレスが正しい場合は、プロバイダーのベース URL をそのアドレスに設定してください。</translation>
    </message>
    <message>
        <source>The server redirected the request more than %1 times</source>
        <translation>サーバーがリクエストを %1 回を超えてリダイレクトしました</translation>
    </message>
    <message>
        <source>The server redirected the request (HTTP %1) to %2 in a way that would drop its body</source>
        <translation>サーバーがリクエストを、本文が失われる方法で %2 にリダイレクトしました(HTTP %1)</translation>
    </message>
    <message>
        <source>Set the provider&apos;s base URL to the final address.</source>
        <translation>プロバイダーのベース URL を最終的なアドレスに設定してください。</translation>
    </message>
    <message>
        <source>Repeated 529 Overloaded errors</source>
        <translation>529 Overloaded エラーが繰り返し発生しました</translation>
    </message>
    <message>
        <source>The API is at capacity; this is usually temporary. Try again in a moment, or set a fallback model.</source>
        <translation>API の処理能力が上限に達しています。通常は一時的なものです。しばらくしてからもう一度試すか、フォールバックモデルを設定してください。</translation>
    </message>
</context>
<context>
    <name>qlaude::ApiError</name>
    <message>
        <source>The key from apiKeyHelper was rejected. Fix the helper&apos;s key, then try again.</source>
        <translation>apiKeyHelper のキーが拒否されました。ヘルパーのキーを修正してから、もう一度お試しください。</translation>
    </message>
    <message>
        <source>The key in %1 was rejected (invalid or expired). Fix or unset it, then try again.</source>
        <translation>%1 のキーが拒否されました(無効または期限切れ)。修正するか設定を解除してから、もう一度お試しください。</translation>
    </message>
    <message>
        <source>Your API key or login is invalid or has expired. Log in again.</source>
        <translation>API キーまたはログインが無効か、期限切れです。もう一度ログインしてください。</translation>
    </message>
    <message>
        <source>Your login was revoked. Log in again.</source>
        <translation>ログインが取り消されました。もう一度ログインしてください。</translation>
    </message>
    <message>
        <source>Your organization has disabled API key authentication. Unset %1 and log in with your Claude account instead.</source>
        <translation>組織で API キー認証が無効になっています。%1 を解除し、代わりに Claude アカウントでログインしてください。</translation>
    </message>
    <message>
        <source>the apiKeyHelper setting</source>
        <translation>apiKeyHelper の設定</translation>
    </message>
    <message>
        <source>Your account does not have access to %1 or to this feature. Choose another model, or ask your administrator for access.</source>
        <translation>このアカウントには %1 またはこの機能へのアクセス権がありません。別のモデルを選ぶか、管理者にアクセス権を依頼してください。</translation>
    </message>
    <message>
        <source>this model</source>
        <translation>このモデル</translation>
    </message>
    <message>
        <source>The model %1 is not available here. Choose another model (--model or the model picker), or check ANTHROPIC_BASE_URL.</source>
        <translation>モデル %1 はここでは利用できません。別のモデルを選ぶ(--model またはモデル選択)か、ANTHROPIC_BASE_URL を確認してください。</translation>
    </message>
    <message>
        <source>requested</source>
        <translation>(指定されたもの)</translation>
    </message>
    <message>
        <source>The request is too large. Shorten the conversation or attachments.</source>
        <translation>リクエストが大きすぎます。会話または添付ファイルを短くしてください。</translation>
    </message>
    <message>
        <source>You hit a rate or usage limit. Wait a moment and try again, or check your plan&apos;s limits.</source>
        <translation>レート制限または使用量の上限に達しました。少し待ってからもう一度試すか、プランの上限を確認してください。</translation>
    </message>
    <message>
        <source>The API is at capacity. This is usually temporary; try again in a moment.</source>
        <translation>API の処理能力が上限に達しています。通常は一時的なものです。しばらくしてからもう一度お試しください。</translation>
    </message>
    <message>
        <source>Your credit balance is too low. Add credits in the Console, then try again.</source>
        <translation>クレジット残高が不足しています。Console でクレジットを追加してから、もう一度お試しください。</translation>
    </message>
    <message>
        <source>This is a server-side issue, usually temporary. Try again in a moment.</source>
        <translation>これはサーバー側の問題で、通常は一時的なものです。しばらくしてからもう一度お試しください。</translation>
    </message>
    <message>
        <source>The API rejected the request. Check the model, max tokens and settings named in the message.</source>
        <translation>API がリクエストを拒否しました。モデル、最大トークン数、およびメッセージに示された設定を確認してください。</translation>
    </message>
    <message>
        <source>Try again; if it keeps failing, run qlaude --doctor.</source>
        <translation>もう一度お試しください。失敗が続く場合は qlaude --doctor を実行してください。</translation>
    </message>
    <message>
        <source>The request was invalid</source>
        <translation>リクエストが無効です</translation>
    </message>
    <message>
        <source>Authentication failed</source>
        <translation>認証に失敗しました</translation>
    </message>
    <message>
        <source>Payment required</source>
        <translation>支払いが必要です</translation>
    </message>
    <message>
        <source>Access denied</source>
        <translation>アクセスが拒否されました</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>見つかりません</translation>
    </message>
    <message>
        <source>The request timed out</source>
        <translation>リクエストがタイムアウトしました</translation>
    </message>
    <message>
        <source>The request is too large</source>
        <translation>リクエストが大きすぎます</translation>
    </message>
    <message>
        <source>Rate limited</source>
        <translation>レート制限中</translation>
    </message>
    <message>
        <source>The API is overloaded</source>
        <translation>API が過負荷状態です</translation>
    </message>
    <message>
        <source>The API had an internal error</source>
        <translation>API で内部エラーが発生しました</translation>
    </message>
    <message>
        <source>The API returned an error</source>
        <translation>API がエラーを返しました</translation>
    </message>
    <message>
        <source>The API reported an error during the answer (%1)</source>
        <translation>回答中に API がエラーを報告しました(%1)</translation>
    </message>
    <message>
        <source>The part of the answer that arrived was kept.</source>
        <translation>受信済みの回答部分は保持されています。</translation>
    </message>
    <message>
        <source>connection lost</source>
        <translation>接続切断</translation>
    </message>
    <message>
        <source>timed out</source>
        <translation>タイムアウト</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>unreadable answer</source>
        <translation>読み取れない応答</translation>
    </message>
    <message>
        <source>no credential</source>
        <translation>認証情報なし</translation>
    </message>
    <message>
        <source>configuration error</source>
        <translation>設定エラー</translation>
    </message>
    <message>
        <source>The connection to the API was lost (%1)</source>
        <translation>API との接続が切断されました(%1)</translation>
    </message>
    <message>
        <source>Check your network or proxy, then try again.</source>
        <translation>ネットワークまたはプロキシを確認してから、もう一度お試しください。</translation>
    </message>
    <message>
        <source>The API did not answer within %1 s</source>
        <translation>API が %1 秒以内に応答しませんでした</translation>
    </message>
    <message>
        <source>Try again, or raise API_TIMEOUT_MS if your network or gateway is slow.</source>
        <translation>もう一度試すか、ネットワークやゲートウェイが遅い場合は API_TIMEOUT_MS を大きくしてください。</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>停止</translation>
    </message>
</context>
<context>
    <name>qlaude::ApiKeyHelper</name>
    <message>
        <source>CLAUDE_CODE_API_KEY_HELPER_TTL_MS must be a whole number of milliseconds (0 or more); using the default of 300000.</source>
        <translation>CLAUDE_CODE_API_KEY_HELPER_TTL_MS はミリ秒数を表す 0 以上の整数である必要があります。既定値の 300000 を使います。</translation>
    </message>
    <message>
        <source>apiKeyHelper printed %1 lines (exit code 0). It must print only the key, on one line.</source>
        <translation>apiKeyHelper が %1 行を出力しました(終了コード 0)。キーだけを 1 行で出力する必要があります。</translation>
    </message>
    <message>
        <source>apiKeyHelper printed a control character (exit code 0). It must print only the key, on one line.</source>
        <translation>apiKeyHelper が制御文字を出力しました(終了コード 0)。キーだけを 1 行で出力する必要があります。</translation>
    </message>
</context>
<context>
    <name>qlaude::AuthContext</name>
    <message>
        <source>%1 settings (%2)</source>
        <translation>%1 設定(%2)</translation>
    </message>
    <message>
        <source>the Anthropic API</source>
        <translation>Anthropic API</translation>
    </message>
</context>
<context>
    <name>qlaude::AuthResolver</name>
    <message>
        <source>%1 from the environment</source>
        <translation>環境変数の %1</translation>
    </message>
    <message>
        <source>the apiKeyHelper command</source>
        <translation>apiKeyHelper コマンド</translation>
    </message>
    <message>
        <source>your stored Claude.ai login</source>
        <translation>保存されている Claude.ai のログイン情報</translation>
    </message>
    <message>
        <source>the API key stored in the keychain</source>
        <translation>キーチェーンに保存されている API キー</translation>
    </message>
    <message>
        <source>the bearer token stored in the keychain</source>
        <translation>キーチェーンに保存されている Bearer トークン</translation>
    </message>
    <message>
        <source>the key stored in the keychain (%1)</source>
        <translation>キーチェーンに保存されているキー(%1)</translation>
    </message>
    <message>
        <source>It is the first available source in the priority order.</source>
        <translation>優先順位で最初に利用できる取得元です。</translation>
    </message>
    <message>
        <source>Not used: %1 takes priority.</source>
        <translation>使用されません: %1 が優先されます。</translation>
    </message>
    <message>
        <source>%1 is not set.</source>
        <translation>%1 は設定されていません。</translation>
    </message>
    <message>
        <source>The keychain was not read.</source>
        <translation>キーチェーンは読み取られていません。</translation>
    </message>
    <message>
        <source>No %1 is stored in the keychain.</source>
        <translation>キーチェーンに %1 は保存されていません。</translation>
    </message>
    <message>
        <source>--bare never reads the keychain.</source>
        <translation>--bare ではキーチェーンを読み取りません。</translation>
    </message>
    <message>
        <source>awsCredentialExport from %1 was not run: the workspace is not trusted. %2</source>
        <translation>%1 の awsCredentialExport は実行されませんでした: ワークスペースが信頼されていません。%2</translation>
    </message>
    <message>
        <source>No %1 credential is available.</source>
        <translation>%1 の認証情報がありません。</translation>
    </message>
    <message>
        <source>The keychain is locked, so a stored %1 cannot be read. Unlock it and try again.</source>
        <translation>キーチェーンがロックされているため、保存されている %1 を読み取れません。ロックを解除してから、もう一度お試しください。</translation>
    </message>
    <message>
        <source>Signing with AWS credentials from %1 (SigV4).</source>
        <translation>%1 の AWS 認証情報で署名します(SigV4)。</translation>
    </message>
    <message>
        <source>Using a Google access token from %1.</source>
        <translation>%1 の Google アクセストークンを使います。</translation>
    </message>
    <message>
        <source>Using a Microsoft Entra ID token from %1.</source>
        <translation>%1 の Microsoft Entra ID トークンを使います。</translation>
    </message>
    <message>
        <source>No %1 authentication is sent: %2 is set (%3), for a proxy or gateway that adds it.</source>
        <translation>%1 の認証情報は送信されません: %2 が設定されています(%3)。認証を付加するプロキシやゲートウェイ向けの設定です。</translation>
    </message>
    <message>
        <source>Using %1.</source>
        <translation>%1 を使います。</translation>
    </message>
    <message>
        <source>Using %1 (%2).</source>
        <translation>%1 を使います(%2)。</translation>
    </message>
    <message>
        <source>Using the %1 stored in the keychain.</source>
        <translation>キーチェーンに保存されている %1 を使います。</translation>
    </message>
    <message>
        <source>ANTHROPIC_AUTH_TOKEN is not set.</source>
        <translation>ANTHROPIC_AUTH_TOKEN は設定されていません。</translation>
    </message>
    <message>
        <source>A managed session (Claude Desktop or remote) forces OAuth; environment tokens are ignored.</source>
        <translation>管理されたセッション(Claude Desktop またはリモート)では OAuth が必須のため、環境変数のトークンは無視されます。</translation>
    </message>
    <message>
        <source>--bare honours only ANTHROPIC_API_KEY and --settings.</source>
        <translation>--bare では ANTHROPIC_API_KEY と --settings だけが使われます。</translation>
    </message>
    <message>
        <source>ANTHROPIC_API_KEY is not set.</source>
        <translation>ANTHROPIC_API_KEY は設定されていません。</translation>
    </message>
    <message>
        <source>A managed session forces OAuth; local API keys are ignored so they cannot leak into it.</source>
        <translation>管理されたセッションでは OAuth が必須のため、ローカルの API キーはセッションに漏れないよう無視されます。</translation>
    </message>
    <message>
        <source>No apiKeyHelper is set in the settings that apply.</source>
        <translation>適用される設定に apiKeyHelper はありません。</translation>
    </message>
    <message>
        <source>apiKeyHelper from %1 was not run: the workspace is not trusted.</source>
        <translation>%1 の apiKeyHelper は実行されませんでした: ワークスペースが信頼されていません。</translation>
    </message>
    <message>
        <source>A managed session forces OAuth; apiKeyHelper is ignored.</source>
        <translation>管理されたセッションでは OAuth が必須のため、apiKeyHelper は無視されます。</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_OAUTH_TOKEN is not set.</source>
        <translation>CLAUDE_CODE_OAUTH_TOKEN は設定されていません。</translation>
    </message>
    <message>
        <source>--bare never uses OAuth tokens.</source>
        <translation>--bare では OAuth トークンを使いません。</translation>
    </message>
    <message>
        <source>No login is stored in the keychain.</source>
        <translation>キーチェーンにログイン情報は保存されていません。</translation>
    </message>
    <message>
        <source>No API key is stored in the keychain.</source>
        <translation>キーチェーンに API キーは保存されていません。</translation>
    </message>
    <message>
        <source>A managed session forces OAuth; stored API keys are ignored.</source>
        <translation>管理されたセッションでは OAuth が必須のため、保存されている API キーは無視されます。</translation>
    </message>
    <message>
        <source>No bearer token is stored in the keychain.</source>
        <translation>キーチェーンに Bearer トークンは保存されていません。</translation>
    </message>
    <message>
        <source>A managed session forces OAuth; stored tokens are ignored.</source>
        <translation>管理されたセッションでは OAuth が必須のため、保存されているトークンは無視されます。</translation>
    </message>
    <message>
        <source>No credential is available.</source>
        <translation>使用できる認証情報がありません。</translation>
    </message>
    <message>
        <source>The keychain is locked, so a stored login cannot be read. Unlock it and try again; you are not logged out.</source>
        <translation>キーチェーンがロックされているため、保存されているログイン情報を読み取れません。ロックを解除してから、もう一度お試しください。ログアウトはされていません。</translation>
    </message>
    <message>
        <source>Log in with `qlaude --login=api-key`, set ANTHROPIC_API_KEY, or configure an apiKeyHelper.</source>
        <translation>`qlaude --login=api-key` でログインするか、ANTHROPIC_API_KEY を設定するか、apiKeyHelper を構成してください。</translation>
    </message>
    <message>
        <source>%1 Qlaude goes on with the login it read before, held in memory for this run; changes to it are not saved until the keychain answers again.</source>
        <translation>%1 Qlaude は以前に読み取ったログイン情報を今回の実行中はメモリに保持して使い続けます。キーチェーンが再び応答するまで、その変更は保存されません。</translation>
    </message>
    <message>
        <source> ANTHROPIC_API_KEY is sent too, as x-api-key, as the CLI does.</source>
        <translation>CLI と同様に、ANTHROPIC_API_KEY も x-api-key として送信されます。</translation>
    </message>
    <message>
        <source>Unset %1 to use it.</source>
        <translation>使用するには %1 を解除してください。</translation>
    </message>
    <message>
        <source>Remove apiKeyHelper from %1 to use it.</source>
        <translation>使用するには %1 から apiKeyHelper を削除してください。</translation>
    </message>
    <message>
        <source>%1 is used, so %2 is ignored. %3</source>
        <translation>%1 が使われるため、%2 は無視されます。%3</translation>
    </message>
    <message>
        <source>The environment overrides the connection &quot;%1&quot;: %2 is set, so it is used instead of the connection&apos;s stored credential. Unset it to use the connection.</source>
        <translation>環境変数が接続「%1」を上書きしています: %2 が設定されているため、接続に保存された認証情報の代わりにそれが使われます。接続を使うには、この変数を解除してください。</translation>
    </message>
</context>
<context>
    <name>qlaude::BedrockClient</name>
    <message>
        <source>Truncated event message</source>
        <translation>イベントメッセージが途中で切れています</translation>
    </message>
    <message>
        <source>The Bedrock event stream could not be read: %1</source>
        <translation>Bedrock のイベントストリームを読み取れませんでした: %1</translation>
    </message>
    <message>
        <source>Amazon Bedrock has no %1 in the Messages API</source>
        <translation>Amazon Bedrock の Messages API には %1 がありません</translation>
    </message>
    <message>
        <source>model list</source>
        <translation>モデル一覧</translation>
    </message>
    <message>
        <source>token count</source>
        <translation>トークン数の計算</translation>
    </message>
    <message>
        <source>No Bedrock model id is set (ANTHROPIC_MODEL)</source>
        <translation>Bedrock のモデル ID が設定されていません(ANTHROPIC_MODEL)</translation>
    </message>
    <message>
        <source>ANTHROPIC_BEDROCK_BASE_URL is not an http(s) URL</source>
        <translation>ANTHROPIC_BEDROCK_BASE_URL が http(s)の URL ではありません</translation>
    </message>
    <message>
        <source>ANTHROPIC_BEDROCK_SERVICE_TIER contains a control character</source>
        <translation>ANTHROPIC_BEDROCK_SERVICE_TIER に制御文字が含まれています</translation>
    </message>
    <message>
        <source>No AWS credentials are available</source>
        <translation>利用できる AWS の認証情報がありません</translation>
    </message>
    <message>
        <source>Check the AWS credentials shown by qlaude --doctor (for example run `aws sso login`, or set AWS_PROFILE).</source>
        <translation>qlaude --doctor に表示される AWS の認証情報を確認してください(例: `aws sso login` を実行する、または AWS_PROFILE を設定する)。</translation>
    </message>
    <message>
        <source>Running awsAuthRefresh…</source>
        <translation>awsAuthRefresh を実行しています…</translation>
    </message>
    <message>
        <source>Amazon Bedrock answered HTTP %1</source>
        <translation>Amazon Bedrock が HTTP %1 を返しました</translation>
    </message>
    <message>
        <source>The AWS credentials from %1 were rejected or have expired. Refresh them (for example `aws sso login`, or awsAuthRefresh in settings) and try again.</source>
        <translation>%1 の AWS 認証情報が拒否されたか、期限切れです。更新してから(例: `aws sso login`、または設定の awsAuthRefresh)、もう一度お試しください。</translation>
    </message>
    <message>
        <source>your AWS setup</source>
        <translation>AWS の設定</translation>
    </message>
    <message>
        <source>Your AWS identity may not invoke %1 in %2: enable access to the model in the Bedrock console and allow bedrock:InvokeModelWithResponseStream.</source>
        <translation>この AWS ID には %2 で %1 を呼び出す権限がありません。Bedrock コンソールでモデルへのアクセスを有効にし、bedrock:InvokeModelWithResponseStream を許可してください。</translation>
    </message>
    <message>
        <source>Model %1 is not available in %2. Use an inference profile id such as us.anthropic.claude-sonnet-4-5-20250929-v1:0, or set AWS_REGION.</source>
        <translation>モデル %1 は %2 では利用できません。us.anthropic.claude-sonnet-4-5-20250929-v1:0 のような推論プロファイル ID を使うか、AWS_REGION を設定してください。</translation>
    </message>
    <message>
        <source>Bedrock rejected the request: check the model id (%1) and the region (%2).</source>
        <translation>Bedrock がリクエストを拒否しました。モデル ID(%1)とリージョン(%2)を確認してください。</translation>
    </message>
    <message>
        <source>Bedrock is throttling this account. Wait a moment, or ask AWS for a higher quota.</source>
        <translation>Bedrock がこのアカウントのリクエストを制限しています。しばらく待つか、AWS にクォータの引き上げを申請してください。</translation>
    </message>
    <message>
        <source>Bedrock had a server problem; try again.</source>
        <translation>Bedrock でサーバーの問題が発生しました。もう一度お試しください。</translation>
    </message>
</context>
<context>
    <name>qlaude::ChatSession</name>
    <message>
        <source>Stop the current answer before switching conversations.</source>
        <translation>会話を切り替える前に、現在の回答を停止してください。</translation>
    </message>
    <message>
        <source>Conversation %1 does not exist.</source>
        <translation>会話 %1 は存在しません。</translation>
    </message>
    <message>
        <source>An answer is still arriving. Stop it first (Esc).</source>
        <translation>回答をまだ受信中です。先に停止してください(Esc)。</translation>
    </message>
    <message>
        <source>The message is empty.</source>
        <translation>メッセージが空です。</translation>
    </message>
    <message>
        <source>There is no message to answer.</source>
        <translation>回答するメッセージがありません。</translation>
    </message>
    <message>
        <source>Stop the current answer before regenerating.</source>
        <translation>再生成する前に、現在の回答を停止してください。</translation>
    </message>
    <message>
        <source>There is no question to answer again.</source>
        <translation>もう一度回答する質問がありません。</translation>
    </message>
    <message>
        <source>Stop the current answer before editing.</source>
        <translation>編集する前に、現在の回答を停止してください。</translation>
    </message>
    <message>
        <source>That message cannot be edited.</source>
        <translation>このメッセージは編集できません。</translation>
    </message>
    <message>
        <source>Stop the current answer before switching versions.</source>
        <translation>バージョンを切り替える前に、現在の回答を停止してください。</translation>
    </message>
    <message>
        <source>Versions are kept only in the chat history.</source>
        <translation>バージョンはチャット履歴にのみ保存されます。</translation>
    </message>
</context>
<context>
    <name>qlaude::ChatWindow</name>
    <message>
        <source>Qlaude</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Qlaude</translation>
    </message>
    <message>
        <source>Account notice</source>
        <translation>アカウントに関するお知らせ</translation>
    </message>
    <message>
        <source>Error notice</source>
        <translation>エラーのお知らせ</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>ファイル(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New Chat</source>
        <translation>新しいチャット(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Log In…</source>
        <translation>ログイン(&amp;L)…</translation>
    </message>
    <message>
        <source>&amp;Trust This Folder…</source>
        <translation>このフォルダーを信頼(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;Close Window</source>
        <translation>ウィンドウを閉じる(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>終了(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>編集(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Find Conversations</source>
        <translation>会話を検索(&amp;F)</translation>
    </message>
    <message>
        <source>Focus &amp;Message Box</source>
        <translation>メッセージ入力欄へ移動(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>設定(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Conversation</source>
        <translation>会話(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Stop Answer</source>
        <translation>回答を停止(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Regenerate</source>
        <translation>再生成(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Edit Last Message</source>
        <translation>最後のメッセージを編集(&amp;E)</translation>
    </message>
    <message>
        <source>S&amp;ystem Prompt…</source>
        <translation>システムプロンプト(&amp;Y)…</translation>
    </message>
    <message>
        <source>Re&amp;name…</source>
        <translation>名前を変更(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>削除(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>ヘルプ(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Doctor…</source>
        <translation>診断(&amp;D)…</translation>
    </message>
    <message>
        <source>&amp;About Qlaude</source>
        <translation>Qlaude について(&amp;A)</translation>
    </message>
    <message>
        <source>About Qlaude</source>
        <translation>Qlaude について</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Qlaude&lt;/b&gt; %1&lt;/p&gt;&lt;p&gt;A native desktop client for Claude.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Qlaude&lt;/b&gt; %1&lt;/p&gt;&lt;p&gt;Claude のためのネイティブなデスクトップクライアントです。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>The chat history could not be saved: %1 Qlaude keeps trying.</source>
        <translation>チャット履歴を保存できませんでした: %1 Qlaude は保存を再試行し続けます。</translation>
    </message>
    <message>
        <source>System prompt removed</source>
        <translation>システムプロンプトを削除しました</translation>
    </message>
    <message>
        <source>System prompt saved for this conversation</source>
        <translation>この会話のシステムプロンプトを保存しました</translation>
    </message>
    <message>
        <source>Log in to start chatting</source>
        <translation>チャットを始めるにはログインしてください</translation>
    </message>
    <message>
        <source>%1 — Qlaude</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1 — Qlaude</translation>
    </message>
    <message>
        <source>Start a conversation</source>
        <translation>会話を始めましょう</translation>
    </message>
    <message>
        <source>Type a message below and press Enter. Shift+Enter adds a new line.
Ctrl+K searches your conversations; Ctrl+N starts a new one.</source>
        <translation>下にメッセージを入力して Enter キーを押してください。Shift+Enter で改行します。
Ctrl+K で会話を検索し、Ctrl+N で新しい会話を始めます。</translation>
    </message>
    <message>
        <source>Your keychain is locked</source>
        <translation>キーチェーンがロックされています</translation>
    </message>
    <message>
        <source>Unlock it, then press Retry above. You are still logged in.</source>
        <translation>ロックを解除してから、上の [再試行] を押してください。ログイン状態は保たれています。</translation>
    </message>
    <message>
        <source>Stopped; the partial answer is kept</source>
        <translation>停止しました。途中までの回答は保持されます</translation>
    </message>
    <message>
        <source>Log in to see the available models</source>
        <translation>利用できるモデルを表示するにはログインしてください</translation>
    </message>
    <message>
        <source>The model list could not be loaded (%1); these are the models Qlaude knows</source>
        <translation>モデル一覧を読み込めませんでした(%1)。Qlaude が把握しているモデルを表示しています</translation>
    </message>
    <message>
        <source>The provider returned no models; these are the models Qlaude knows</source>
        <translation>プロバイダーからモデルが返されませんでした。Qlaude が把握しているモデルを表示しています</translation>
    </message>
    <message>
        <source>Folder trust notice</source>
        <translation>フォルダーの信頼に関するお知らせ</translation>
    </message>
    <message>
        <source>Logged in. Press Regenerate (Ctrl+R) to ask again.</source>
        <translation>ログインしました。もう一度質問するには「再生成」(Ctrl+R) を押してください。</translation>
    </message>
    <message>
        <source>Unlock your keychain to start chatting</source>
        <translation>チャットを始めるにはキーチェーンのロックを解除してください</translation>
    </message>
    <message>
        <source>Press Log In above to connect Qlaude with an API key or another way this build offers, or set ANTHROPIC_API_KEY and start Qlaude again.</source>
        <translation>上の「ログイン」を押して、API キーまたはこのビルドで使える別の方法で Qlaude を接続するか、ANTHROPIC_API_KEY を設定して Qlaude を再起動してください。</translation>
    </message>
    <message>
        <source>Co&amp;nnection</source>
        <translation>接続(&amp;N)</translation>
    </message>
    <message>
        <source>Switch Connection</source>
        <translation>接続を切り替え</translation>
    </message>
</context>
<context>
    <name>qlaude::ChatWindowBanners</name>
    <message>
        <source>Check your AWS credentials (profile, access keys or Bedrock API key).</source>
        <translation>AWS の認証情報(プロファイル、アクセスキー、または Bedrock API キー)を確認してください。</translation>
    </message>
    <message>
        <source>Check your Google Cloud credentials (gcloud auth application-default login).</source>
        <translation>Google Cloud の認証情報を確認してください(gcloud auth application-default login)。</translation>
    </message>
    <message>
        <source>Check your Azure credentials (the Foundry API key or your Entra ID sign-in).</source>
        <translation>Azure の認証情報(Foundry API キーまたは Entra ID のサインイン)を確認してください。</translation>
    </message>
    <message>
        <source>Open Provider Settings</source>
        <translation>プロバイダー設定を開く</translation>
    </message>
    <message>
        <source>The keychain is locked, so your stored login can&apos;t be read. Unlock it, then press Retry. You are not logged out.</source>
        <translation>キーチェーンがロックされているため、保存されたログイン情報を読み取れません。ロックを解除してから [再試行] を押してください。ログアウトはしていません。</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>再試行</translation>
    </message>
    <message>
        <source>%1 Log in for this session, or set ANTHROPIC_API_KEY.</source>
        <translation>%1 このセッション用にログインするか、ANTHROPIC_API_KEY を設定してください。</translation>
    </message>
    <message>
        <source>Log In</source>
        <translation>ログイン</translation>
    </message>
    <message numerus="yes">
        <source>%n more settings file(s) could not be read either.</source>
        <translation>
            <numerusform>ほかに %n 個の設定ファイルも読み取れませんでした。</numerusform>
        </translation>
    </message>
    <message>
        <source>Fix the file and restart Qlaude; until then its settings do not apply.</source>
        <translation>ファイルを修正して Qlaude を再起動してください。それまでは、そのファイルの設定は適用されません。</translation>
    </message>
    <message>
        <source>Open Doctor</source>
        <translation>診断を開く</translation>
    </message>
    <message>
        <source>Log In Again</source>
        <translation>再ログイン</translation>
    </message>
    <message>
        <source>Try Again</source>
        <translation>もう一度試す</translation>
    </message>
    <message>
        <source>Rate limit reached (HTTP 429).</source>
        <translation>レート制限に達しました(HTTP 429)。</translation>
    </message>
    <message>
        <source>The API is overloaded (HTTP 529).</source>
        <translation>API が過負荷状態です(HTTP 529)。</translation>
    </message>
    <message>
        <source>The request failed (%1).</source>
        <translation>リクエストが失敗しました(%1)。</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>No data from the API for %1 s. The answer may have stalled: Stop keeps what arrived, Retry asks again.</source>
        <translation>API から %1 秒間データがありません。回答が止まっている可能性があります。[停止] で受信済みの内容を残し、[再試行] でもう一度問い合わせます。</translation>
    </message>
    <message>
        <source>%1 Retrying in %2 s (retry %3)…</source>
        <translation>%1 %2 秒後に再試行します(%3 回目)…</translation>
    </message>
    <message>
        <source>%1 Retrying now (retry %2)…</source>
        <translation>%1 再試行しています(%2 回目)…</translation>
    </message>
    <message>
        <source>%1 Qlaude goes on with the login it read before, held in memory for this session. Press Retry once the keychain is back.</source>
        <translation>%1 Qlaude は以前に読み込んだログイン情報をこのセッションの間メモリに保持して使い続けます。キーチェーンが使えるようになったら [再試行] を押してください。</translation>
    </message>
    <message>
        <source>This folder is not trusted, so its settings that run commands or change where Qlaude sends your credentials are not used.</source>
        <translation>このフォルダーは信頼されていないため、コマンドを実行する設定や、Qlaude が認証情報を送る先を変える設定は使われません。</translation>
    </message>
    <message>
        <source>Trust This Folder…</source>
        <translation>このフォルダーを信頼…</translation>
    </message>
    <message>
        <source>The answer failed; the reason is under it.</source>
        <translation>回答に失敗しました。理由は回答の下に表示されています。</translation>
    </message>
    <message>
        <source>Log in, then ask again.</source>
        <translation>ログインしてから、もう一度質問してください。</translation>
    </message>
    <message>
        <source>Check the provider settings.</source>
        <translation>プロバイダー設定を確認してください。</translation>
    </message>
    <message>
        <source>Log in again, then ask again.</source>
        <translation>再ログインしてから、もう一度質問してください。</translation>
    </message>
    <message>
        <source>Check the model and your access in the provider settings.</source>
        <translation>プロバイダー設定でモデルとアクセス権を確認してください。</translation>
    </message>
    <message>
        <source>Wait a moment, then try again.</source>
        <translation>少し待ってから、もう一度試してください。</translation>
    </message>
    <message>
        <source>You&apos;re not logged in. Log in to start chatting, or set ANTHROPIC_API_KEY and start Qlaude again.</source>
        <translation>ログインしていません。ログインしてチャットを始めるか、ANTHROPIC_API_KEY を設定して Qlaude を再起動してください。</translation>
    </message>
</context>
<context>
    <name>qlaude::CliCommands</name>
    <message>
        <source>Paste your Anthropic API key: </source>
        <translation>Anthropic の API キーを貼り付けてください: </translation>
    </message>
    <message>
        <source>No API key was given. Paste the key when asked, or pipe it: printf %s &quot;$KEY&quot; | qlaude --login=api-key</source>
        <translation>API キーが入力されていません。求められたらキーを貼り付けるか、パイプで渡してください: printf %s &quot;$KEY&quot; | qlaude --login=api-key</translation>
    </message>
    <message>
        <source>That does not look like an API key: it contains spaces or line breaks. Copy the key alone and try again.</source>
        <translation>API キーではないようです。空白または改行が含まれています。キーだけをコピーして、もう一度お試しください。</translation>
    </message>
    <message>
        <source>The API key was not saved.</source>
        <translation>API キーは保存されませんでした。</translation>
    </message>
    <message>
        <source>Saved the API key (%1) in the system keychain.</source>
        <translation>API キー(%1)をシステムのキーチェーンに保存しました。</translation>
    </message>
    <message>
        <source>Removed the previous Claude.ai login from the keychain.</source>
        <translation>以前の Claude.ai のログイン情報をキーチェーンから削除しました。</translation>
    </message>
    <message>
        <source>the organization SSO login</source>
        <translation>組織の SSO ログイン情報</translation>
    </message>
    <message>
        <source>the Anthropic Console login</source>
        <translation>Anthropic Console のログイン情報</translation>
    </message>
    <message>
        <source>the Claude.ai login</source>
        <translation>Claude.ai のログイン情報</translation>
    </message>
    <message>
        <source>The sign-in server has no revocation endpoint; removing the local login only.</source>
        <translation>サインインサーバーに取り消し用のエンドポイントがないため、ローカルのログイン情報のみを削除します。</translation>
    </message>
    <message>
        <source>Could not revoke the login at the sign-in server: %1 Continuing with the local logout.</source>
        <translation>サインインサーバーでログインを取り消せませんでした: %1 ローカルのログアウトを続行します。</translation>
    </message>
    <message>
        <source>Revoked the refresh token at %1.</source>
        <translation>%1 でリフレッシュトークンを取り消しました。</translation>
    </message>
    <message>
        <source>Nothing was removed.</source>
        <translation>何も削除されていません。</translation>
    </message>
    <message>
        <source>the API key</source>
        <translation>API キー</translation>
    </message>
    <message>
        <source>Nothing to remove: Qlaude has no login stored in the keychain.</source>
        <translation>削除するものはありません。Qlaude はキーチェーンにログイン情報を保存していません。</translation>
    </message>
    <message>
        <source>Removed %1 from the system keychain.</source>
        <translation>システムのキーチェーンから %1 を削除しました。</translation>
    </message>
    <message>
        <source>Could not remove %1</source>
        <translation>削除できませんでした: %1</translation>
    </message>
    <message>
        <source>Workspace: %1</source>
        <translation>ワークスペース: %1</translation>
    </message>
    <message>
        <source>This folder is already trusted with its current settings.</source>
        <translation>このフォルダーは現在の設定のまま、すでに信頼されています。</translation>
    </message>
    <message>
        <source>Its settings run no commands and change no credential settings.</source>
        <translation>このフォルダーの設定はコマンドを実行せず、認証情報の設定も変更しません。</translation>
    </message>
    <message>
        <source>Trusting it lets its settings do the following:</source>
        <translation>信頼すると、このフォルダーの設定は次のことを行えます:</translation>
    </message>
    <message>
        <source>(from %1)</source>
        <translation>(%1 から)</translation>
    </message>
    <message>
        <source>changed; approved before: %1</source>
        <translation>変更あり。以前に承認したもの: %1</translation>
    </message>
    <message>
        <source>changed since approved: %1</source>
        <translation>承認後に変更: %1</translation>
    </message>
    <message>
        <source>Never trust a folder from a source you do not trust: these commands could send your API keys elsewhere or run anything on your behalf.</source>
        <translation>信頼できない入手元のフォルダーは決して信頼しないでください。これらのコマンドは API キーを外部に送信したり、あなたに代わって何でも実行したりできます。</translation>
    </message>
    <message>
        <source>This is your home directory: trust lasts for this run only.</source>
        <translation>これはホームディレクトリです。信頼は今回の実行中のみ有効です。</translation>
    </message>
    <message>
        <source>Not a terminal: pass --yes to confirm (qlaude --trust --yes).</source>
        <translation>端末ではありません。確認するには --yes を指定してください(qlaude --trust --yes)。</translation>
    </message>
    <message>
        <source>Trust this folder? [y/N] </source>
        <extracomment>The answer is read as y or Y whatever the language: keep [y/N].</extracomment>
        <translation>このフォルダーを信頼しますか? [y/N] </translation>
    </message>
    <message>
        <source>Not trusted. Nothing was changed.</source>
        <translation>信頼しませんでした。何も変更されていません。</translation>
    </message>
    <message>
        <source>Trusted for this run.</source>
        <translation>今回の実行中のみ信頼しました。</translation>
    </message>
    <message>
        <source>Trusted.</source>
        <translation>信頼しました。</translation>
    </message>
    <message>
        <source>Withdrew trust for %1.</source>
        <translation>%1 の信頼を取り消しました。</translation>
    </message>
    <message>
        <source>It is still trusted through %1; run qlaude --untrust --workspace %1 to change that.</source>
        <translation>%1 を通じて引き続き信頼されています。変更するには qlaude --untrust --workspace %1 を実行してください。</translation>
    </message>
    <message>
        <source>Saved the API key (%1) for the connection &quot;%2&quot; in the system keychain.</source>
        <translation>接続「%2」の API キー(%1)をシステムのキーチェーンに保存しました。</translation>
    </message>
</context>
<context>
    <name>qlaude::CommandLine</name>
    <message>
        <source>qlaude: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset).
Use the command line instead: qlaude --print &quot;question&quot;, qlaude --doctor, or qlaude --help.
</source>
        <translation>qlaude: ウィンドウを開くディスプレイがありません(DISPLAY と WAYLAND_DISPLAY が設定されていません)。
代わりにコマンドラインを使ってください: qlaude --print &quot;質問&quot;、qlaude --doctor、または qlaude --help。
</translation>
    </message>
    <message>
        <source>Qlaude: a native desktop client for Claude, with the authentication model of Claude Code.</source>
        <translation>Qlaude: Claude Code と同じ認証モデルを備えた、Claude 用のネイティブなデスクトップクライアントです。</translation>
    </message>
    <message>
        <source>Show this help.</source>
        <translation>このヘルプを表示します。</translation>
    </message>
    <message>
        <source>Show the version.</source>
        <translation>バージョンを表示します。</translation>
    </message>
    <message>
        <source>Report settings, trust, provider, credential and keychain state. Exit 0 when a usable credential exists.</source>
        <translation>設定、信頼、プロバイダー、認証情報、キーチェーンの状態を報告します。使用できる認証情報があれば終了コード 0 で終了します。</translation>
    </message>
    <message>
        <source>With --doctor: print the report as JSON.</source>
        <translation>--doctor と併用: レポートを JSON で出力します。</translation>
    </message>
    <message>
        <source>Log in. api-key: read a key from stdin into the keychain; oauth: sign in with a browser.</source>
        <translation>ログインします。api-key: 標準入力からキーを読み取ってキーチェーンに保存します。oauth: ブラウザーでサインインします。</translation>
    </message>
    <message>
        <source>With --login=oauth: claudeai, console or oidc.</source>
        <translation>--login=oauth と併用: claudeai、console、または oidc。</translation>
    </message>
    <message>
        <source>With --login=oauth: system, manual or embedded (default: system with a display, else manual).</source>
        <translation>--login=oauth と併用: system、manual、または embedded(既定: ディスプレイがあれば system、なければ manual)。</translation>
    </message>
    <message>
        <source>Remove what Qlaude stored in the keychain.</source>
        <translation>Qlaude がキーチェーンに保存したものを削除します。</translation>
    </message>
    <message>
        <source>Trust the workspace, after showing the exact commands that trust allows.</source>
        <translation>信頼によって実行が許可されるコマンドをそのまま表示したうえで、ワークスペースを信頼します。</translation>
    </message>
    <message>
        <source>Withdraw the trust decision for the workspace.</source>
        <translation>ワークスペースの信頼の決定を取り消します。</translation>
    </message>
    <message>
        <source>Confirm --trust without asking.</source>
        <translation>確認せずに --trust を実行します。</translation>
    </message>
    <message>
        <source>The project folder (default: the current directory).</source>
        <translation>プロジェクトフォルダー(既定: カレントディレクトリ)。</translation>
    </message>
    <message>
        <source>Hermetic mode: only ANTHROPIC_API_KEY and --settings; no keychain, no OAuth.</source>
        <translation>隔離モード: ANTHROPIC_API_KEY と --settings のみを使い、キーチェーンと OAuth は使いません。</translation>
    </message>
    <message>
        <source>Extra settings: a JSON file or inline JSON.</source>
        <translation>追加の設定: JSON ファイル、またはインラインの JSON。</translation>
    </message>
    <message>
        <source>Ask one question and print the answer as it streams (the prompt from the arguments or stdin).</source>
        <translation>質問を 1 つ送り、回答をストリーミングしながら出力します(質問は引数または標準入力から)。</translation>
    </message>
    <message>
        <source>The model (default: ANTHROPIC_MODEL, the settings&apos; model, then %1).</source>
        <translation>モデル(既定: ANTHROPIC_MODEL、設定のモデル、その次に %1)。</translation>
    </message>
    <message>
        <source>A system prompt for --print.</source>
        <translation>--print 用のシステムプロンプト。</translation>
    </message>
    <message>
        <source>The answer&apos;s token limit (default 8192).</source>
        <translation>回答のトークン上限(既定 8192)。</translation>
    </message>
    <message>
        <source>With --print: text, json or stream-json.</source>
        <translation>--print と併用: text、json、または stream-json。</translation>
    </message>
    <message>
        <source>With --print: add the turn to the most recent conversation in the history.</source>
        <translation>--print と併用: やり取りを履歴の最新の会話に追加します。</translation>
    </message>
    <message>
        <source>With --print: add the turn to this conversation in the history.</source>
        <translation>--print と併用: やり取りを履歴のこの会話に追加します。</translation>
    </message>
    <message>
        <source>List the models the API offers.</source>
        <translation>API が提供するモデルを一覧表示します。</translation>
    </message>
    <message>
        <source>The language of every text: en, de or ja (default: the system&apos;s language).</source>
        <translation>すべてのテキストの言語: en、de、または ja(既定: システムの言語)。</translation>
    </message>
    <message>
        <source>Start the desktop app, print first-paint-ms once the chat window has painted, and exit (for benchmarks).</source>
        <translation>デスクトップアプリを起動し、チャットウィンドウが描画されたら first-paint-ms を出力して終了します(ベンチマーク用)。</translation>
    </message>
    <message>
        <source>With --print: the question.</source>
        <translation>--print と併用: 質問。</translation>
    </message>
    <message>
        <source>Run qlaude --help for the options.</source>
        <translation>オプションは qlaude --help で確認できます。</translation>
    </message>
    <message>
        <source>The workspace %1 does not exist.</source>
        <translation>ワークスペース %1 は存在しません。</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;. To ask a question, use qlaude --print &quot;question&quot;.</source>
        <translation>予期しない引数「%1」です。質問するには qlaude --print &quot;質問&quot; を使ってください。</translation>
    </message>
    <message>
        <source>Unknown login method &quot;%1&quot;. Use --login=api-key or --login=oauth.</source>
        <translation>不明なログイン方法「%1」です。--login=api-key または --login=oauth を使ってください。</translation>
    </message>
    <message>
        <source>--max-tokens must be a positive whole number.</source>
        <translation>--max-tokens には正の整数を指定してください。</translation>
    </message>
    <message>
        <source>--conversation needs a conversation id (a positive number).</source>
        <translation>--conversation には会話 ID(正の数)を指定してください。</translation>
    </message>
    <message>
        <source>Use this named connection (with --login, --logout, --print, --list-models, --doctor or the desktop app); &quot;&quot; is &quot;From your settings&quot;.</source>
        <translation>この名前付き接続を使います(--login、--logout、--print、--list-models、--doctor、またはデスクトップアプリと併用)。&quot;&quot; は「設定に従う」を表します。</translation>
    </message>
    <message>
        <source>List the named connections (with --json: as JSON).</source>
        <translation>名前付き接続を一覧表示します(--json と併用: JSON 形式)。</translation>
    </message>
    <message>
        <source>Create or update a named connection from --settings FILE-OR-JSON (a settings layer with an optional &quot;provider&quot;; no secrets).</source>
        <translation>--settings FILE-OR-JSON から名前付き接続を作成または更新します(省略可能な &quot;provider&quot; を含む設定レイヤー。シークレットは含めません)。</translation>
    </message>
    <message>
        <source>Remove a named connection and its keychain entries.</source>
        <translation>名前付き接続とそのキーチェーンのエントリを削除します。</translation>
    </message>
    <message>
        <source>With --workspace: bind the folder to a named connection (&quot;&quot; unbinds).</source>
        <translation>--workspace と併用: フォルダーを名前付き接続に関連付けます(&quot;&quot; で関連付けを解除)。</translation>
    </message>
    <message>
        <source>--use-connection needs --workspace DIR: the folder to bind.</source>
        <translation>--use-connection には --workspace DIR(関連付けるフォルダー)が必要です。</translation>
    </message>
</context>
<context>
    <name>qlaude::Composer</name>
    <message>
        <source>Message</source>
        <translation>メッセージ</translation>
    </message>
    <message>
        <source>Enter sends the message; Shift+Enter starts a new line.</source>
        <translation>Enter でメッセージを送信し、Shift+Enter で改行します。</translation>
    </message>
</context>
<context>
    <name>qlaude::ComposerPanel</name>
    <message>
        <source>System Prompt…</source>
        <translation>システムプロンプト…</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>再生成</translation>
    </message>
    <message>
        <source>Composer</source>
        <translation>入力エリア</translation>
    </message>
    <message>
        <source>Cancel Edit</source>
        <translation>編集をキャンセル</translation>
    </message>
    <message>
        <source>Cancel edit</source>
        <translation>編集をキャンセル</translation>
    </message>
    <message>
        <source>Editing</source>
        <translation>編集中</translation>
    </message>
    <message>
        <source>Editing a sent message. Enter resends it and replaces the answers after it; Esc cancels.</source>
        <translation>送信済みのメッセージを編集しています。Enter で再送信してそれ以降の回答を置き換え、Esc でキャンセルします。</translation>
    </message>
    <message>
        <source>Message Claude</source>
        <translation>Claude にメッセージを送る</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>モデル</translation>
    </message>
    <message>
        <source>The model that answers the next message</source>
        <translation>次のメッセージに回答するモデル</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>システムプロンプト</translation>
    </message>
    <message>
        <source>Instructions Claude follows in this conversation</source>
        <translation>この会話で Claude が従う指示</translation>
    </message>
    <message>
        <source>Ask again for the last answer (Ctrl+R)</source>
        <translation>最後の回答をもう一度生成します(Ctrl+R)</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the answer and keep what arrived (Esc)</source>
        <translation>回答を停止し、受信済みの内容を残します(Esc)</translation>
    </message>
    <message>
        <source>Resend</source>
        <translation>再送信</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>送信</translation>
    </message>
    <message>
        <source>Send (Enter). Shift+Enter starts a new line.</source>
        <translation>送信(Enter)。Shift+Enter で改行します。</translation>
    </message>
    <message>
        <source>System Prompt (on)…</source>
        <translation>システムプロンプト(オン)…</translation>
    </message>
    <message>
        <source>Loading the list of models…</source>
        <translation>モデル一覧を読み込んでいます…</translation>
    </message>
    <message>
        <source>No models returned by the provider</source>
        <translation>プロバイダーからモデルが返されませんでした</translation>
    </message>
    <message>
        <source>%1. Messages go to %2.</source>
        <translation>%1。メッセージの送信先は %2 です。</translation>
    </message>
    <message>
        <source>System Prompt</source>
        <translation>システムプロンプト</translation>
    </message>
    <message>
        <source>Instructions Claude follows for this whole conversation, for example a role, a tone or rules. Leave it empty for none.</source>
        <translation>この会話全体で Claude が従う指示(役割、口調、ルールなど)。不要な場合は空のままにしてください。</translation>
    </message>
    <message>
        <source>You are a concise assistant…</source>
        <translation>あなたは簡潔に答えるアシスタントです…</translation>
    </message>
</context>
<context>
    <name>qlaude::ConnectionCommands</name>
    <message>
        <source>From your settings</source>
        <translation>設定に従う</translation>
    </message>
    <message>
        <source>Claude Code&apos;s settings files, the environment and the keychain</source>
        <translation>Claude Code の設定ファイル、環境変数、キーチェーン</translation>
    </message>
    <message>
        <source>Connections (%1):</source>
        <translation>接続(%1):</translation>
    </message>
    <message>
        <source>(built-in) From your settings</source>
        <translation>(組み込み) 設定に従う</translation>
    </message>
    <message>
        <source>keychain: not read (%1)</source>
        <translation>キーチェーン: 読み取れません(%1)</translation>
    </message>
    <message>
        <source>keychain: nothing stored</source>
        <translation>キーチェーン: 保存なし</translation>
    </message>
    <message>
        <source>keychain: %1</source>
        <translation>キーチェーン: %1</translation>
    </message>
    <message>
        <source>used by %1</source>
        <translation>%1 で使用中</translation>
    </message>
    <message>
        <source>No named connections yet. Add one with: qlaude --add-connection NAME --settings &apos;{&quot;provider&quot;:&quot;anthropic&quot;,&quot;env&quot;:{&quot;ANTHROPIC_BASE_URL&quot;:&quot;https://...&quot;}}&apos;</source>
        <translation>まだ名前付き接続はありません。次のコマンドで追加できます: qlaude --add-connection NAME --settings &apos;{&quot;provider&quot;:&quot;anthropic&quot;,&quot;env&quot;:{&quot;ANTHROPIC_BASE_URL&quot;:&quot;https://...&quot;}}&apos;</translation>
    </message>
    <message>
        <source>&quot;%1&quot; cannot be a connection name: %2.</source>
        <translation>「%1」は接続名に使えません: %2。</translation>
    </message>
    <message>
        <source>--add-connection needs --settings with a JSON file or inline JSON, e.g. --settings &apos;{&quot;provider&quot;:&quot;bedrock&quot;,&quot;env&quot;:{&quot;AWS_REGION&quot;:&quot;eu-west-1&quot;}}&apos;.</source>
        <translation>--add-connection には、JSON ファイルまたはインラインの JSON を指定した --settings が必要です。例: --settings &apos;{&quot;provider&quot;:&quot;bedrock&quot;,&quot;env&quot;:{&quot;AWS_REGION&quot;:&quot;eu-west-1&quot;}}&apos;</translation>
    </message>
    <message>
        <source>The connection &quot;%1&quot; was not saved: %2</source>
        <translation>接続「%1」は保存されませんでした: %2</translation>
    </message>
    <message>
        <source>Updated the connection &quot;%1&quot;: %2.</source>
        <translation>接続「%1」を更新しました: %2。</translation>
    </message>
    <message>
        <source>Added the connection &quot;%1&quot;: %2.</source>
        <translation>接続「%1」を追加しました: %2。</translation>
    </message>
    <message>
        <source>Store its credential with: qlaude --connection %1 --login=api-key (or --login=oauth), or in the app under Settings &gt; Connections.</source>
        <translation>認証情報は qlaude --connection %1 --login=api-key(または --login=oauth)で保存するか、アプリの [設定] &gt; [接続] で保存してください。</translation>
    </message>
    <message>
        <source>There is no connection named &quot;%1&quot;. See qlaude --connections.</source>
        <translation>「%1」という名前の接続はありません。qlaude --connections を参照してください。</translation>
    </message>
    <message>
        <source>The connection &quot;%1&quot; was not removed: its keychain entries cannot be removed now. %2</source>
        <translation>接続「%1」は削除されませんでした: 現在、そのキーチェーンのエントリを削除できません。%2</translation>
    </message>
    <message>
        <source>The connection &quot;%1&quot; was not removed: %2 (%3%4) could not be removed from the keychain. %5</source>
        <translation>接続「%1」は削除されませんでした: %2(%3%4)をキーチェーンから削除できませんでした。%5</translation>
    </message>
    <message>
        <source>Removed the connection &quot;%1&quot;.</source>
        <translation>接続「%1」を削除しました。</translation>
    </message>
    <message>
        <source>It had nothing in the keychain.</source>
        <translation>キーチェーンには何も保存されていませんでした。</translation>
    </message>
    <message>
        <source>Removed from the keychain: %1</source>
        <translation>キーチェーンから削除しました: %1</translation>
    </message>
    <message>
        <source>%1 now uses &quot;From your settings&quot;.</source>
        <translation>%1 は「設定に従う」を使うようになりました。</translation>
    </message>
    <message>
        <source>%1 uses &quot;From your settings&quot; again.</source>
        <translation>%1 は再び「設定に従う」を使います。</translation>
    </message>
    <message>
        <source>%1 now uses the connection &quot;%2&quot; (%3).</source>
        <translation>%1 は接続「%2」(%3)を使うようになりました。</translation>
    </message>
</context>
<context>
    <name>qlaude::ConnectionStore</name>
    <message>
        <source>There is no connection named &quot;%1&quot;. See qlaude --connections, or add it with qlaude --add-connection.</source>
        <translation>「%1」という名前の接続はありません。qlaude --connections を参照するか、qlaude --add-connection で追加してください。</translation>
    </message>
    <message>
        <source>store the key with: qlaude --connection %1 --login=api-key</source>
        <translation>キーを qlaude --connection %1 --login=api-key で保存する</translation>
    </message>
    <message>
        <source>store the token in the app: Settings &gt; Connections &gt; %1</source>
        <translation>トークンをアプリの [設定] &gt; [接続] &gt; %1 で保存する</translation>
    </message>
    <message>
        <source>sign in with: qlaude --connection %1 --login=oauth</source>
        <translation>qlaude --connection %1 --login=oauth でサインインする</translation>
    </message>
    <message>
        <source>store the key in the app: Settings &gt; Connections &gt; %1</source>
        <translation>キーをアプリの [設定] &gt; [接続] &gt; %1 で保存する</translation>
    </message>
    <message>
        <source>store the secret in the app: Settings &gt; Connections &gt; %1</source>
        <translation>シークレットをアプリの [設定] &gt; [接続] &gt; %1 で保存する</translation>
    </message>
    <message>
        <source>name an AWS profile (AWS_PROFILE) whose keys live in ~/.aws instead</source>
        <translation>代わりに、キーが ~/.aws にある AWS プロファイル(AWS_PROFILE)を指定する</translation>
    </message>
    <message>
        <source>store it in the app: Settings &gt; Network (the keychain)</source>
        <translation>アプリの [設定] &gt; [ネットワーク] でキーチェーンに保存する</translation>
    </message>
    <message>
        <source>Cannot write %1 (%2).</source>
        <translation>%1 に書き込めません(%2)。</translation>
    </message>
    <message>
        <source>Cannot save %1 (%2).</source>
        <translation>%1 を保存できません(%2)。</translation>
    </message>
    <message>
        <source>profile %1</source>
        <translation>プロファイル %1</translation>
    </message>
    <message>
        <source>The workspace bindings cannot be used: %1. Fix or move the file aside.</source>
        <translation>ワークスペースの関連付けを使用できません: %1。ファイルを修正するか、別の場所に移動してください。</translation>
    </message>
    <message>
        <source>The connections file cannot be used: %1. Fix or move it aside; Qlaude does not write over it.</source>
        <translation>接続ファイルを使用できません: %1。修正するか、別の場所に移動してください。Qlaude はこのファイルを上書きしません。</translation>
    </message>
    <message>
        <source>unknown provider &quot;%1&quot;</source>
        <translation>不明なプロバイダー「%1」</translation>
    </message>
    <message>
        <source>%1: the connection &quot;%2&quot; cannot be used: %3</source>
        <translation>%1: 接続「%2」を使用できません: %3</translation>
    </message>
    <message>
        <source>The connections were not read yet.</source>
        <translation>接続はまだ読み込まれていません。</translation>
    </message>
    <message>
        <source>a connection name has 1 to 64 letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;, and starts with a letter or digit</source>
        <translation>接続名は 1～64 文字の英字、数字、&apos;.&apos;、&apos;_&apos;、&apos;-&apos; で構成し、英字または数字で始める必要があります</translation>
    </message>
    <message>
        <source>%1 is a secret, and connection settings are a plain file. Leave it out and %2.</source>
        <translation>%1 はシークレットですが、接続の設定は暗号化されない通常のファイルです。これは含めず、代わりに次のようにしてください: %2。</translation>
    </message>
    <message>
        <source>keep it in the environment or the keychain</source>
        <translation>環境変数またはキーチェーンで保持する</translation>
    </message>
    <message>
        <source>The custom header %1</source>
        <translation>カスタムヘッダー %1</translation>
    </message>
    <message>
        <source>store the credential in the keychain (Settings &gt; Connections &gt; %1)</source>
        <translation>認証情報をキーチェーンに保存する([設定] &gt; [接続] &gt; %1)</translation>
    </message>
    <message>
        <source>The password in %1</source>
        <translation>%1 内のパスワード</translation>
    </message>
    <message>
        <source>use proxyAuthHelper, or set the proxy in your environment</source>
        <translation>proxyAuthHelper を使うか、環境変数でプロキシを設定する</translation>
    </message>
    <message>
        <source>&quot;provider&quot; must be anthropic, bedrock, vertex or foundry, not &quot;%1&quot;</source>
        <translation>&quot;provider&quot; は anthropic、bedrock、vertex、foundry のいずれかである必要があります(「%1」は使えません)</translation>
    </message>
    <message>
        <source>A connection named &quot;%1&quot; exists already.</source>
        <translation>「%1」という名前の接続は既に存在します。</translation>
    </message>
    <message>
        <source>There is no connection named &quot;%1&quot;. See qlaude --connections.</source>
        <translation>「%1」という名前の接続はありません。qlaude --connections を参照してください。</translation>
    </message>
    <message>
        <source>the API key</source>
        <translation>API キー</translation>
    </message>
    <message>
        <source>the OAuth login</source>
        <translation>OAuth ログイン</translation>
    </message>
    <message>
        <source>the gateway token</source>
        <translation>ゲートウェイトークン</translation>
    </message>
    <message>
        <source>the Bedrock API key</source>
        <translation>Bedrock API キー</translation>
    </message>
    <message>
        <source>the Foundry API key</source>
        <translation>Foundry API キー</translation>
    </message>
    <message>
        <source>the Azure client secret</source>
        <translation>Azure クライアントシークレット</translation>
    </message>
    <message>
        <source>the client key passphrase</source>
        <translation>クライアントキーのパスフレーズ</translation>
    </message>
</context>
<context>
    <name>qlaude::ConnectionSwitcher</name>
    <message>
        <source>Connection</source>
        <translation>接続</translation>
    </message>
    <message>
        <source>From your settings</source>
        <translation>設定に従う</translation>
    </message>
    <message>
        <source>Connection &quot;%1&quot;: %2</source>
        <translation>接続「%1」: %2</translation>
    </message>
    <message>
        <source>From your settings: Claude Code&apos;s settings files, the environment and the keychain.</source>
        <translation>設定に従う: Claude Code の設定ファイル、環境変数、キーチェーンを使います。</translation>
    </message>
    <message>
        <source>%1 (this folder)</source>
        <translation>%1(このフォルダー)</translation>
    </message>
    <message>
        <source>This folder is bound to it.</source>
        <translation>このフォルダーはこの接続に関連付けられています。</translation>
    </message>
    <message>
        <source>The environment overrides this connection: %1 is used instead of its stored credential. Unset it to use the connection.</source>
        <translation>環境変数がこの接続を上書きしています: 保存された認証情報の代わりに %1 が使われます。接続を使うには、この変数を解除してください。</translation>
    </message>
    <message>
        <source>This folder is bound to &quot;%1&quot;.</source>
        <translation>このフォルダーは「%1」に関連付けられています。</translation>
    </message>
    <message>
        <source>Claude Code&apos;s settings</source>
        <translation>Claude Code の設定</translation>
    </message>
    <message>
        <source>The connections cannot be read</source>
        <translation>接続を読み込めません</translation>
    </message>
    <message>
        <source>&amp;Use for This Folder</source>
        <translation>このフォルダーで使用(&amp;U)</translation>
    </message>
    <message>
        <source>Open this folder with the current connection from now on.</source>
        <translation>今後、このフォルダーを現在の接続で開きます。</translation>
    </message>
    <message>
        <source>This folder opens with &quot;%1&quot;.</source>
        <translation>このフォルダーは「%1」で開きます。</translation>
    </message>
    <message>
        <source>Folder not bound</source>
        <translation>フォルダーを関連付けられませんでした</translation>
    </message>
    <message>
        <source>&amp;Manage Connections…</source>
        <translation>接続を管理(&amp;M)…</translation>
    </message>
    <message>
        <source>Switch connections with Ctrl+Shift+A.</source>
        <translation>Ctrl+Shift+A で接続を切り替えます。</translation>
    </message>
</context>
<context>
    <name>qlaude::ConnectionsPage</name>
    <message>
        <source>A connection is one account: a provider, its settings and its secrets. Switch between them in the status line (Ctrl+Shift+A). Settings are saved in %1; secrets only in the keychain.</source>
        <translation>接続は 1 つのアカウントです: プロバイダー、その設定、シークレットをまとめたものです。ステータスラインで切り替えられます(Ctrl+Shift+A)。設定は %1 に保存され、シークレットはキーチェーンにのみ保存されます。</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>接続</translation>
    </message>
    <message>
        <source>No connections yet. Add one for each account you use.</source>
        <translation>まだ接続はありません。使用するアカウントごとに 1 つ追加してください。</translation>
    </message>
    <message>
        <source>&amp;Add…</source>
        <translation>追加(&amp;A)…</translation>
    </message>
    <message>
        <source>Re&amp;name…</source>
        <translation>名前を変更(&amp;N)…</translation>
    </message>
    <message>
        <source>D&amp;uplicate</source>
        <translation>複製(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Remove…</source>
        <translation>削除(&amp;R)…</translation>
    </message>
    <message>
        <source>Anthropic API</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Anthropic API</translation>
    </message>
    <message>
        <source>Amazon Bedrock</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Amazon Bedrock</translation>
    </message>
    <message>
        <source>Google Vertex AI</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Google Vertex AI</translation>
    </message>
    <message>
        <source>Microsoft Foundry</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Microsoft Foundry</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名前:</translation>
    </message>
    <message>
        <source>&amp;Provider:</source>
        <translation>プロバイダー(&amp;P):</translation>
    </message>
    <message>
        <source>https://api.anthropic.com (default)</source>
        <translation>https://api.anthropic.com(既定)</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API キー</translation>
    </message>
    <message>
        <source>Gateway token (Authorization: Bearer)</source>
        <translation>ゲートウェイトークン(Authorization: Bearer)</translation>
    </message>
    <message>
        <source>Base &amp;URL:</source>
        <translation>ベース URL(&amp;U):</translation>
    </message>
    <message>
        <source>Credential:</source>
        <translation>認証情報:</translation>
    </message>
    <message>
        <source>&amp;Secret:</source>
        <translation>シークレット(&amp;S):</translation>
    </message>
    <message>
        <source>(the region&apos;s endpoint)</source>
        <translation>(リージョンのエンドポイント)</translation>
    </message>
    <message>
        <source>optional: a Bedrock API key</source>
        <translation>省略可: Bedrock API キー</translation>
    </message>
    <message>
        <source>Re&amp;gion:</source>
        <translation>リージョン(&amp;G):</translation>
    </message>
    <message>
        <source>AWS pro&amp;file:</source>
        <translation>AWS プロファイル(&amp;F):</translation>
    </message>
    <message>
        <source>Endpoint:</source>
        <translation>エンドポイント:</translation>
    </message>
    <message>
        <source>API &amp;key:</source>
        <translation>API キー(&amp;K):</translation>
    </message>
    <message>
        <source>my-project</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>my-project</translation>
    </message>
    <message>
        <source>Google credentials come from Application Default Credentials (gcloud auth application-default login).</source>
        <translation>Google の認証情報は Application Default Credentials(gcloud auth application-default login)から取得されます。</translation>
    </message>
    <message>
        <source>Project &amp;ID:</source>
        <translation>プロジェクト ID(&amp;I):</translation>
    </message>
    <message>
        <source>my-resource</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>my-resource</translation>
    </message>
    <message>
        <source>(from the resource name)</source>
        <translation>(リソース名から)</translation>
    </message>
    <message>
        <source>optional: else Microsoft Entra ID</source>
        <translation>省略可: 省略時は Microsoft Entra ID</translation>
    </message>
    <message>
        <source>Resour&amp;ce:</source>
        <translation>リソース(&amp;C):</translation>
    </message>
    <message>
        <source>(the default model)</source>
        <translation>(既定のモデル)</translation>
    </message>
    <message>
        <source>Name: value, one per line (no credentials)</source>
        <translation>1 行に 1 つの「Name: Value」(認証情報は不可)</translation>
    </message>
    <message>
        <source>&amp;Model:</source>
        <translation>モデル(&amp;M):</translation>
    </message>
    <message>
        <source>Custom &amp;headers:</source>
        <translation>カスタムヘッダー(&amp;H):</translation>
    </message>
    <message>
        <source>&amp;Test</source>
        <translation>テスト(&amp;T)</translation>
    </message>
    <message>
        <source>Save Co&amp;nnection</source>
        <translation>接続を保存(&amp;N)</translation>
    </message>
    <message>
        <source>Not saved yet</source>
        <translation>未保存</translation>
    </message>
    <message>
        <source>Not saved yet: Save Connection stores it.</source>
        <translation>未保存です。[接続を保存] で保存されます。</translation>
    </message>
    <message>
        <source>Nothing of it is in the keychain yet.</source>
        <translation>キーチェーンにはまだ何も保存されていません。</translation>
    </message>
    <message>
        <source>In the keychain: %1. Type a new value to replace it.</source>
        <translation>キーチェーンに保存済み: %1。置き換えるには新しい値を入力してください。</translation>
    </message>
    <message>
        <source>unchanged (type to replace)</source>
        <translation>変更なし(入力すると置き換えます)</translation>
    </message>
    <message>
        <source>Add Connection</source>
        <translation>接続を追加</translation>
    </message>
    <message>
        <source>A short name for the account (letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;), e.g. work or personal:</source>
        <translation>アカウントの短い名前(英字、数字、&apos;.&apos;、&apos;_&apos;、&apos;-&apos;)。例: work、personal:</translation>
    </message>
    <message>
        <source>&quot;%1&quot; cannot be a connection name: %2.</source>
        <translation>「%1」は接続名に使えません: %2。</translation>
    </message>
    <message>
        <source>A connection named &quot;%1&quot; exists already.</source>
        <translation>「%1」という名前の接続は既に存在します。</translation>
    </message>
    <message>
        <source>Choose the provider and fill in &quot;%1&quot;, then Save Connection.</source>
        <translation>プロバイダーを選び、「%1」の項目を入力してから [接続を保存] を押してください。</translation>
    </message>
    <message>
        <source>Saving &quot;%1&quot;…</source>
        <translation>「%1」を保存しています…</translation>
    </message>
    <message>
        <source>Saved &quot;%1&quot; (%2).</source>
        <translation>「%1」を保存しました(%2)。</translation>
    </message>
    <message>
        <source>The secret was not saved, so neither was the connection. %1</source>
        <translation>シークレットが保存されなかったため、接続も保存されませんでした。%1</translation>
    </message>
    <message>
        <source>Rename Connection</source>
        <translation>接続の名前を変更</translation>
    </message>
    <message>
        <source>New name for &quot;%1&quot;:</source>
        <translation>「%1」の新しい名前:</translation>
    </message>
    <message>
        <source>Renaming &quot;%1&quot; to &quot;%2&quot;…</source>
        <translation>「%1」の名前を「%2」に変更しています…</translation>
    </message>
    <message>
        <source>&quot;%1&quot; was not renamed: %2</source>
        <translation>「%1」の名前は変更されませんでした: %2</translation>
    </message>
    <message>
        <source>Renamed &quot;%1&quot; to &quot;%2&quot;; its keychain entries moved with it.</source>
        <translation>「%1」の名前を「%2」に変更しました。キーチェーンのエントリも一緒に移動しました。</translation>
    </message>
    <message>
        <source>Duplicating &quot;%1&quot;…</source>
        <translation>「%1」を複製しています…</translation>
    </message>
    <message>
        <source>&quot;%1&quot; was not duplicated: %2</source>
        <translation>「%1」は複製されませんでした: %2</translation>
    </message>
    <message>
        <source>Duplicated &quot;%1&quot; as &quot;%2&quot;, with its secrets.</source>
        <translation>「%1」をシークレットごと「%2」として複製しました。</translation>
    </message>
    <message>
        <source>Remove the connection &quot;%1&quot; and its secrets in the keychain?</source>
        <translation>接続「%1」と、キーチェーン内のそのシークレットを削除しますか?</translation>
    </message>
    <message>
        <source>These folders go back to &quot;From your settings&quot;: %1</source>
        <translation>次のフォルダーは「設定に従う」に戻ります: %1</translation>
    </message>
    <message>
        <source>Remove Connection</source>
        <translation>接続を削除</translation>
    </message>
    <message>
        <source>Removing &quot;%1&quot;…</source>
        <translation>「%1」を削除しています…</translation>
    </message>
    <message>
        <source>&quot;%1&quot; was not removed: its keychain entries could not be removed. %2</source>
        <translation>「%1」は削除されませんでした: キーチェーンのエントリを削除できませんでした。%2</translation>
    </message>
    <message>
        <source>Removed &quot;%1&quot;; it had nothing in the keychain.</source>
        <translation>「%1」を削除しました。キーチェーンには何も保存されていませんでした。</translation>
    </message>
    <message>
        <source>Removed &quot;%1&quot; and, from the keychain, %2.</source>
        <translation>「%1」を削除し、キーチェーンから %2 を削除しました。</translation>
    </message>
    <message>
        <source>Testing &quot;%1&quot; as shown…</source>
        <translation>表示されている設定で「%1」をテストしています…</translation>
    </message>
    <message>
        <source>It works: %1 answered in %2 ms.</source>
        <translation>正常に動作します: %1 が %2 ms で応答しました。</translation>
    </message>
    <message numerus="yes">
        <source>It works: %1 answered in %2 ms and lists %n model(s).</source>
        <translation>
            <numerusform>正常に動作します: %1 が %2 ms で応答し、%n 個のモデルを返しました。</numerusform>
        </translation>
    </message>
    <message>
        <source>Note: %1 in the environment overrides this connection.</source>
        <translation>注意: 環境変数の %1 がこの接続を上書きします。</translation>
    </message>
</context>
<context>
    <name>qlaude::ConversationListModel</name>
    <message>
        <source>Yesterday</source>
        <translation>昨日</translation>
    </message>
    <message>
        <source>Untitled conversation</source>
        <translation>無題の会話</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation>%1、%2</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1: %2</translation>
    </message>
</context>
<context>
    <name>qlaude::ConversationSidebar</name>
    <message>
        <source>New Chat</source>
        <translation>新しいチャット</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>会話</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新しいチャット</translation>
    </message>
    <message>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>新しい会話を始めます(Ctrl+N)</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>会話を検索</translation>
    </message>
    <message>
        <source>Search (Ctrl+K)</source>
        <translation>検索(Ctrl+K)</translation>
    </message>
    <message>
        <source>Conversation list</source>
        <translation>会話の一覧</translation>
    </message>
    <message>
        <source>Conversation deleted</source>
        <translation>会話を削除しました</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>元に戻す</translation>
    </message>
    <message>
        <source>Undo delete</source>
        <translation>削除を元に戻す</translation>
    </message>
    <message>
        <source>History unavailable</source>
        <translation>履歴を利用できません</translation>
    </message>
    <message>
        <source>Conversations in this window are not saved.</source>
        <translation>このウィンドウの会話は保存されません。</translation>
    </message>
    <message>
        <source>No matches for “%1”</source>
        <translation>「%1」に一致するものはありません</translation>
    </message>
    <message>
        <source>Try fewer or different words. Search matches whole words and the beginnings of words.</source>
        <translation>語数を減らすか、別の語を試してください。検索は単語全体と単語の先頭に一致します。</translation>
    </message>
    <message>
        <source>No conversations yet</source>
        <translation>まだ会話はありません</translation>
    </message>
    <message>
        <source>Your chats will appear here. Write a message below to start one.</source>
        <translation>チャットはここに表示されます。下にメッセージを書いて始めましょう。</translation>
    </message>
    <message>
        <source>“%1” deleted.</source>
        <translation>「%1」を削除しました。</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>名前を変更…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>削除</translation>
    </message>
</context>
<context>
    <name>qlaude::ConversationStore</name>
    <message>
        <source>The chat history is not open.</source>
        <translation>チャット履歴が開かれていません。</translation>
    </message>
    <message>
        <source>Conversation %1 does not exist.</source>
        <translation>会話 %1 は存在しません。</translation>
    </message>
    <message>
        <source>Message %1 does not exist.</source>
        <translation>メッセージ %1 は存在しません。</translation>
    </message>
    <message>
        <source>Message %1 is still streaming; finish it before editing it.</source>
        <translation>メッセージ %1 はまだ受信中です。編集する前に完了させてください。</translation>
    </message>
    <message>
        <source>Saving the answer being received failed; it is kept in memory and saved again shortly. %1</source>
        <translation>受信中の回答を保存できませんでした。回答はメモリに保持され、まもなく再度保存されます。%1</translation>
    </message>
    <message>
        <source>This message has no version %1; it has %2.</source>
        <translation>このメッセージにバージョン %1 はありません（バージョンは %2 個です）。</translation>
    </message>
</context>
<context>
    <name>qlaude::CredentialSigner</name>
    <message>
        <source>The credential from %1 contains a line break or control character</source>
        <translation>%1 の認証情報に改行または制御文字が含まれています</translation>
    </message>
    <message>
        <source>Store the key again without extra lines, or fix the source shown by qlaude --doctor.</source>
        <translation>余分な行を含めずにキーをもう一度保存するか、qlaude --doctor が表示する取得元を修正してください。</translation>
    </message>
    <message>
        <source>No credential is available</source>
        <translation>使用できる認証情報がありません</translation>
    </message>
    <message>
        <source>Log in, or set ANTHROPIC_API_KEY.</source>
        <translation>ログインするか、ANTHROPIC_API_KEY を設定してください。</translation>
    </message>
    <message>
        <source>Fix the credential source shown by qlaude --doctor, then try again.</source>
        <translation>qlaude --doctor が表示する認証情報の取得元を修正してから、もう一度お試しください。</translation>
    </message>
</context>
<context>
    <name>qlaude::DoctorDialog</name>
    <message>
        <source>Qlaude Doctor</source>
        <translation>Qlaude 診断</translation>
    </message>
    <message>
        <source>Doctor report</source>
        <translation>診断レポート</translation>
    </message>
    <message>
        <source>Where Qlaude finds its credential and settings, and what stops a request. Copy redacts anything that looks like a secret, so you can paste it into a bug report.</source>
        <translation>Qlaude が認証情報と設定をどこから読み込み、何がリクエストを妨げているかを示します。[コピー] はシークレットらしきものをすべて伏せるので、そのままバグ報告に貼り付けられます。</translation>
    </message>
    <message>
        <source>Verdict</source>
        <translation>判定</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状態</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>更新(&amp;R)</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>更新</translation>
    </message>
    <message>
        <source>Read the settings and the keychain again</source>
        <translation>設定とキーチェーンを読み込み直します</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>コピー(&amp;C)</translation>
    </message>
    <message>
        <source>Copy report</source>
        <translation>レポートをコピー</translation>
    </message>
    <message>
        <source>Copy the report, with secrets redacted</source>
        <translation>シークレットを伏せてレポートをコピーします</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>閉じる</translation>
    </message>
    <message>
        <source>There is no report yet: Qlaude has not loaded its settings.</source>
        <translation>まだレポートはありません。Qlaude は設定を読み込んでいません。</translation>
    </message>
    <message>
        <source>Ready: %1</source>
        <translation>準備完了: %1</translation>
    </message>
    <message>
        <source>Still worth fixing: %1</source>
        <translation>修正をおすすめします: %1</translation>
    </message>
    <message>
        <source>Not ready: %1</source>
        <translation>準備未完了: %1</translation>
    </message>
    <message>
        <source>Copied, with secrets redacted.</source>
        <translation>シークレットを伏せてコピーしました。</translation>
    </message>
    <message>
        <source>Reading the settings and the keychain again…</source>
        <translation>設定とキーチェーンを読み込み直しています…</translation>
    </message>
    <message>
        <source>Updated.</source>
        <translation>更新しました。</translation>
    </message>
</context>
<context>
    <name>qlaude::DoctorReport</name>
    <message>
        <source>default</source>
        <translation>既定</translation>
    </message>
    <message>
        <source>the region&apos;s Bedrock endpoint</source>
        <translation>リージョンの Bedrock エンドポイント</translation>
    </message>
    <message>
        <source>the region&apos;s Vertex AI endpoint</source>
        <translation>リージョンの Vertex AI エンドポイント</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>未設定</translation>
    </message>
    <message>
        <source>--bare does not read the keychain.</source>
        <translation>--bare ではキーチェーンを読み取りません。</translation>
    </message>
    <message>
        <source>none (NO_PROXY matches %1; otherwise %2)</source>
        <translation>なし(NO_PROXY が %1 に一致。それ以外は %2)</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS sets %1 (%2), but Qlaude sends its own credential from %3, so that custom header is not sent. Remove the header, or remove the credential to send yours.</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS で %1 が設定されていますが(%2)、Qlaude は %3 の認証情報を独自に送信するため、このカスタムヘッダーは送信されません。ヘッダーを削除するか、ご自身のヘッダーを送信するには認証情報を削除してください。</translation>
    </message>
    <message>
        <source>ANTHROPIC_BASE_URL (%1) is not an http(s) URL.</source>
        <translation>ANTHROPIC_BASE_URL(%1)が http(s)の URL ではありません。</translation>
    </message>
    <message>
        <source>Network:</source>
        <translation>ネットワーク:</translation>
    </message>
    <message>
        <source>proxy: none</source>
        <translation>プロキシ: なし</translation>
    </message>
    <message>
        <source>proxy: %1 (from %2)</source>
        <translation>プロキシ: %1(%2 から)</translation>
    </message>
    <message>
        <source>%1 (selected)</source>
        <translation>%1(選択中)</translation>
    </message>
    <message>
        <source>direct</source>
        <translation>直接接続</translation>
    </message>
    <message>
        <source>through %1</source>
        <translation>%1 経由</translation>
    </message>
    <message>
        <source>certificates: %1</source>
        <translation>証明書: %1</translation>
    </message>
    <message>
        <source>the system store</source>
        <translation>システムの証明書ストア</translation>
    </message>
    <message>
        <source>SSL_CERT_FILE instead of the system store</source>
        <translation>システムの証明書ストアの代わりに SSL_CERT_FILE</translation>
    </message>
    <message>
        <source>(unusable)</source>
        <translation>(使用不可)</translation>
    </message>
    <message>
        <source>(1 certificate)</source>
        <translation>(証明書 1 件)</translation>
    </message>
    <message>
        <source>(%1 certificates)</source>
        <translation>(証明書 %1 件)</translation>
    </message>
    <message>
        <source>client certificate: none</source>
        <translation>クライアント証明書: なし</translation>
    </message>
    <message>
        <source>client certificate: %1</source>
        <translation>クライアント証明書: %1</translation>
    </message>
    <message>
        <source>subject %1, issued by %2</source>
        <translation>サブジェクト %1、発行者 %2</translation>
    </message>
    <message>
        <source>expires %1 (in %2 days)</source>
        <translation>有効期限 %1(残り %2 日)</translation>
    </message>
    <message>
        <source>key %1</source>
        <translation>キー %1</translation>
    </message>
    <message>
        <source>, passphrase from %1</source>
        <translation>、パスフレーズは %1 から</translation>
    </message>
    <message>
        <source>proxyAuthHelper: from %1</source>
        <translation>proxyAuthHelper: %1 から</translation>
    </message>
    <message>
        <source>, runs on a 407, answer kept %1 s</source>
        <translation>、407 のときに実行、応答は %1 秒間保持</translation>
    </message>
    <message>
        <source>, does not run: %1</source>
        <translation>、実行されません: %1</translation>
    </message>
    <message>
        <source>Workspace:</source>
        <translation>ワークスペース:</translation>
    </message>
    <message>
        <source>Provider:</source>
        <translation>プロバイダー:</translation>
    </message>
    <message>
        <source>Credential:</source>
        <translation>認証情報:</translation>
    </message>
    <message>
        <source>Qlaude %1 doctor</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Qlaude %1 doctor</translation>
    </message>
    <message>
        <source>command: %1</source>
        <translation>コマンド: %1</translation>
    </message>
    <message>
        <source>Credential sources, in priority order:</source>
        <translation>認証情報の取得元(優先順):</translation>
    </message>
    <message>
        <source>Settings files (later wins):</source>
        <translation>設定ファイル(後のものが優先):</translation>
    </message>
    <message>
        <source>Workspace trust: %1</source>
        <translation>ワークスペースの信頼: %1</translation>
    </message>
    <message>
        <source>trusted</source>
        <translation>信頼済み</translation>
    </message>
    <message>
        <source>not trusted</source>
        <translation>信頼されていません</translation>
    </message>
    <message>
        <source>waiting for approval: %1 from %2</source>
        <translation>承認待ち: %2 の %1</translation>
    </message>
    <message>
        <source>(approved before: %1)</source>
        <translation>(以前に承認したもの: %1)</translation>
    </message>
    <message>
        <source>Keychain: %1</source>
        <translation>キーチェーン: %1</translation>
    </message>
    <message>
        <source>OAuth:</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>OAuth:</translation>
    </message>
    <message>
        <source>%1 login stored</source>
        <translation>%1 のログイン情報を保存済み</translation>
    </message>
    <message>
        <source>, access token expired %1</source>
        <translation>、アクセストークンは %1 に期限切れ</translation>
    </message>
    <message>
        <source>, access token expires %1</source>
        <translation>、アクセストークンの有効期限は %1</translation>
    </message>
    <message>
        <source>, refreshable</source>
        <translation>、更新可能</translation>
    </message>
    <message>
        <source>, not refreshable</source>
        <translation>、更新不可</translation>
    </message>
    <message>
        <source>scopes: %1</source>
        <translation>スコープ: %1</translation>
    </message>
    <message>
        <source>no login stored</source>
        <translation>ログイン情報は保存されていません</translation>
    </message>
    <message>
        <source>available (client id from %1, endpoints from %2)</source>
        <translation>利用可能(クライアント ID は %1、エンドポイントは %2 から)</translation>
    </message>
    <message>
        <source>unavailable: %1</source>
        <translation>利用不可: %1</translation>
    </message>
    <message>
        <source>ignored: %1</source>
        <translation>無視: %1</translation>
    </message>
    <message>
        <source>Credential check:</source>
        <translation>認証情報のチェック:</translation>
    </message>
    <message>
        <source>fetched %1 in %2 ms</source>
        <translation>%1 を %2 ms で取得</translation>
    </message>
    <message>
        <source>, expires %1 (in %2 min)</source>
        <translation>、有効期限 %1(残り %2 分)</translation>
    </message>
    <message>
        <source>, no expiry</source>
        <translation>、有効期限なし</translation>
    </message>
    <message>
        <source>failed: %1</source>
        <translation>失敗: %1</translation>
    </message>
    <message>
        <source>Providers:</source>
        <translation>すべてのプロバイダー:</translation>
    </message>
    <message>
        <source>configured</source>
        <translation>設定済み</translation>
    </message>
    <message>
        <source>not configured</source>
        <translation>未設定</translation>
    </message>
    <message>
        <source>%1 from %2</source>
        <translation>%2 の %1</translation>
    </message>
    <message>
        <source>missing: %1</source>
        <translation>不足: %1</translation>
    </message>
    <message>
        <source>Requests:</source>
        <translation>リクエスト:</translation>
    </message>
    <message>
        <source>%1 (%2), timeout %3 ms</source>
        <translation>%1(%2)、タイムアウト %3 ms</translation>
    </message>
    <message>
        <source>, custom headers: %1</source>
        <translation>、カスタムヘッダー: %1</translation>
    </message>
    <message>
        <source>, additional protection on</source>
        <translation>、追加の保護: オン</translation>
    </message>
    <message>
        <source>proxy: %1</source>
        <translation>プロキシ: %1</translation>
    </message>
    <message>
        <source>Warnings:</source>
        <translation>警告:</translation>
    </message>
    <message>
        <source>Problems:</source>
        <translation>問題:</translation>
    </message>
    <message>
        <source>Ready: a usable credential was found.</source>
        <translation>準備完了: 使用できる認証情報が見つかりました。</translation>
    </message>
    <message>
        <source>Not ready: no usable credential.</source>
        <translation>準備未完了: 使用できる認証情報がありません。</translation>
    </message>
    <message>
        <source>Connection:</source>
        <translation>接続:</translation>
    </message>
    <message>
        <source>From your settings</source>
        <translation>設定に従う</translation>
    </message>
</context>
<context>
    <name>qlaude::ErrorBanner</name>
    <message>
        <source>Notice</source>
        <translation>お知らせ</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>閉じる</translation>
    </message>
</context>
<context>
    <name>qlaude::FoundryConfig</name>
    <message>
        <source>ANTHROPIC_FOUNDRY_BASE_URL (%1) is not an http(s) URL such as https://my-resource.services.ai.azure.com/anthropic</source>
        <translation>ANTHROPIC_FOUNDRY_BASE_URL(%1)は、https://my-resource.services.ai.azure.com/anthropic のような http(s)の URL ではありません</translation>
    </message>
    <message>
        <source>Neither ANTHROPIC_FOUNDRY_RESOURCE nor ANTHROPIC_FOUNDRY_BASE_URL is set: set ANTHROPIC_FOUNDRY_RESOURCE to your Foundry resource name (the &quot;my-resource&quot; of my-resource.services.ai.azure.com)</source>
        <translation>ANTHROPIC_FOUNDRY_RESOURCE と ANTHROPIC_FOUNDRY_BASE_URL のどちらも設定されていません。ANTHROPIC_FOUNDRY_RESOURCE に Foundry のリソース名(my-resource.services.ai.azure.com の「my-resource」の部分)を設定してください</translation>
    </message>
    <message>
        <source>ANTHROPIC_FOUNDRY_RESOURCE (%1) is not a resource name: use the name alone (letters, digits and &apos;-&apos;), not a URL</source>
        <translation>ANTHROPIC_FOUNDRY_RESOURCE(%1)はリソース名ではありません。URL ではなく、名前だけ(英字、数字、「-」)を指定してください</translation>
    </message>
</context>
<context>
    <name>qlaude::HistoryFile</name>
    <message>
        <source>Cannot create the folder &quot;%1&quot; for the chat history. Check that its parent folder exists and is writable.</source>
        <translation>チャット履歴用のフォルダー「%1」を作成できません。親フォルダーが存在し、書き込み可能かを確認してください。</translation>
    </message>
    <message>
        <source>Cannot create the chat history &quot;%1&quot;. Check that its folder is writable.</source>
        <translation>チャット履歴「%1」を作成できません。フォルダーが書き込み可能かを確認してください。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is a folder or a special file, not a chat history. Choose a file path for the history.</source>
        <translation>「%1」はフォルダーまたは特殊ファイルであり、チャット履歴ではありません。履歴にはファイルのパスを選んでください。</translation>
    </message>
    <message>
        <source>Cannot read the chat history &quot;%1&quot; (%2). Check the file&apos;s permissions.</source>
        <translation>チャット履歴「%1」を読み取れません(%2)。ファイルのアクセス権を確認してください。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a Qlaude chat history (it is not an SQLite database). Move it aside or choose another file; Qlaude has not changed it.</source>
        <translation>「%1」は Qlaude のチャット履歴ではありません(SQLite データベースではありません)。ファイルを別の場所に移すか、別のファイルを選んでください。Qlaude はこのファイルを変更していません。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; cannot be read as a chat history (%2). Move the file aside or choose another one; Qlaude has not changed it.</source>
        <translation>「%1」をチャット履歴として読み取れません(%2)。ファイルを別の場所に移すか、別のファイルを選んでください。Qlaude はこのファイルを変更していません。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is an SQLite database but not a Qlaude chat history. Move it aside or choose another file; Qlaude has not changed it.</source>
        <translation>「%1」は SQLite データベースですが、Qlaude のチャット履歴ではありません。ファイルを別の場所に移すか、別のファイルを選んでください。Qlaude はこのファイルを変更していません。</translation>
    </message>
    <message>
        <source>The chat history &quot;%1&quot; was written by a newer version of Qlaude (format %2; this version knows up to %3). Update Qlaude to open it; the file has not been changed.</source>
        <translation>チャット履歴「%1」は新しいバージョンの Qlaude で書き込まれています(形式 %2。このバージョンが扱えるのは %3 まで)。開くには Qlaude を更新してください。ファイルは変更されていません。</translation>
    </message>
    <message>
        <source>SQLite did not switch the file to WAL mode; a file system without shared memory (a network share) cannot hold it.</source>
        <translation>SQLite がファイルを WAL モードに切り替えませんでした。共有メモリのないファイルシステム(ネットワーク共有)には保存できません。</translation>
    </message>
    <message>
        <source>Cannot prepare the chat history &quot;%1&quot;: %2 Keep the history on a local disk with free space.</source>
        <translation>チャット履歴「%1」を準備できません: %2 履歴は空き容量のあるローカルディスクに置いてください。</translation>
    </message>
    <message>
        <source>Updating the chat history &quot;%1&quot; to the current format failed and nothing was changed. Free some disk space and restart Qlaude. Details: %2</source>
        <translation>チャット履歴「%1」を現在の形式に更新できなかったため、何も変更されていません。ディスクの空き容量を増やしてから Qlaude を再起動してください。詳細: %2</translation>
    </message>
    <message>
        <source>Cannot recover the answers that were cut off when Qlaude last stopped, in &quot;%1&quot;. Details: %2</source>
        <translation>前回 Qlaude が終了したときに途切れた回答を「%1」で復元できません。詳細: %2</translation>
    </message>
    <message>
        <source>Qt&apos;s SQLite driver is missing, so the chat history cannot be opened. Install the package libqt6sql6-sqlite.</source>
        <translation>Qt の SQLite ドライバーがないため、チャット履歴を開けません。libqt6sql6-sqlite パッケージをインストールしてください。</translation>
    </message>
    <message>
        <source>Cannot open the chat history &quot;%1&quot; (%2). Check that the file and its folder are readable and writable.</source>
        <translation>チャット履歴「%1」を開けません(%2)。ファイルとそのフォルダーが読み書き可能かを確認してください。</translation>
    </message>
</context>
<context>
    <name>qlaude::HistorySchema</name>
    <message>
        <source>The chat history database did not report its version.</source>
        <translation>チャット履歴のデータベースがバージョンを返しませんでした。</translation>
    </message>
</context>
<context>
    <name>qlaude::HistorySql</name>
    <message>
        <source>unknown SQLite error</source>
        <translation>不明な SQLite エラー</translation>
    </message>
    <message>
        <source>The chat history database reported &quot;%1&quot; while running &quot;%2&quot;.</source>
        <translation>チャット履歴のデータベースが「%2」の実行中に「%1」を返しました。</translation>
    </message>
</context>
<context>
    <name>qlaude::Jwt</name>
    <message>
        <source>the private key is not an unencrypted PEM private key</source>
        <translation>秘密鍵が暗号化されていない PEM 秘密鍵ではありません</translation>
    </message>
    <message>
        <source>the private key is not an RSA key (RS256 needs one)</source>
        <translation>秘密鍵が RSA 鍵ではありません(RS256 には RSA 鍵が必要です)</translation>
    </message>
    <message>
        <source>OpenSSL could not sign with the private key</source>
        <translation>OpenSSL が秘密鍵で署名できませんでした</translation>
    </message>
    <message>
        <source>not a compact JWT</source>
        <translation>コンパクト形式の JWT ではありません</translation>
    </message>
    <message>
        <source>the JWT header or claims are not JSON objects</source>
        <translation>JWT のヘッダーまたはクレームが JSON オブジェクトではありません</translation>
    </message>
    <message>
        <source>the JWT is not RS256</source>
        <translation>JWT が RS256 ではありません</translation>
    </message>
    <message>
        <source>no public key to check the JWT with</source>
        <translation>JWT を検証する公開鍵がありません</translation>
    </message>
    <message>
        <source>the JWT signature does not match the key</source>
        <translation>JWT の署名が鍵と一致しません</translation>
    </message>
    <message>
        <source>the file holds no PEM certificate</source>
        <translation>ファイルに PEM 証明書が含まれていません</translation>
    </message>
</context>
<context>
    <name>qlaude::KeychainStore</name>
    <message>
        <source>The keychain is available.</source>
        <translation>キーチェーンを利用できます。</translation>
    </message>
    <message>
        <source>The keychain is locked. Unlock it (for example by logging in to your desktop session or opening Passwords and Keys) and try again.</source>
        <translation>キーチェーンがロックされています。ロックを解除して(例: デスクトップセッションにログインする、または「パスワードと鍵」を開く)、もう一度お試しください。</translation>
    </message>
    <message>
        <source>No keychain is available%1. Start a Secret Service such as gnome-keyring or KWallet in your session; until then Qlaude keeps secrets in memory for this run only and never writes them to disk.</source>
        <translation>キーチェーンを利用できません%1。セッションで gnome-keyring や KWallet などの Secret Service を起動してください。それまでの間、Qlaude はシークレットを今回の実行中だけメモリに保持し、ディスクには書き込みません。</translation>
    </message>
    <message>
        <source>no D-Bus session bus</source>
        <translation>D-Bus セッションバスがありません</translation>
    </message>
    <message>
        <source>no Secret Service on the session bus</source>
        <translation>セッションバスに Secret Service がありません</translation>
    </message>
    <message>
        <source>the keyring has no default collection</source>
        <translation>キーリングに既定のコレクションがありません</translation>
    </message>
    <message>
        <source>The keychain entry &quot;%1&quot; is damaged. Sign in or save it again.</source>
        <translation>キーチェーンのエントリ「%1」が破損しています。サインインするか、もう一度保存してください。</translation>
    </message>
    <message>
        <source>A part of the keychain entry &quot;%1&quot; is missing. Sign in or save it again.</source>
        <translation>キーチェーンのエントリ「%1」の一部がありません。サインインするか、もう一度保存してください。</translation>
    </message>
    <message>
        <source>Nothing is stored in the keychain under &quot;%1&quot;.</source>
        <translation>キーチェーンの「%1」には何も保存されていません。</translation>
    </message>
    <message>
        <source>The keychain refused access (%1). Unlock it or allow Qlaude and try again.</source>
        <translation>キーチェーンがアクセスを拒否しました(%1)。ロックを解除するか Qlaude を許可して、もう一度お試しください。</translation>
    </message>
    <message>
        <source>The keychain reported an error: %1. Try again; if it persists, check your Secret Service.</source>
        <translation>キーチェーンがエラーを報告しました: %1。もう一度お試しください。解決しない場合は Secret Service を確認してください。</translation>
    </message>
    <message>
        <source>Nothing was stored under &quot;%1&quot;.</source>
        <translation>「%1」には何も保存されていませんでした。</translation>
    </message>
</context>
<context>
    <name>qlaude::LoginDialog</name>
    <message>
        <source>Log in to Claude</source>
        <translation>Claude にログイン</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>ログイン</translation>
    </message>
    <message>
        <source>Connect Qlaude to Claude</source>
        <translation>Qlaude を Claude に接続</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>タイトル</translation>
    </message>
    <message>
        <source>Qlaude checks the key with one small request, then keeps it in your system keychain, never in a file.</source>
        <translation>Qlaude は小さなリクエストを 1 回送ってキーを確認し、ファイルではなくシステムのキーチェーンに保存します。</translation>
    </message>
    <message>
        <source>Introduction</source>
        <translation>説明</translation>
    </message>
    <message>
        <source>Credential already provided</source>
        <translation>認証情報はすでに指定されています</translation>
    </message>
    <message>
        <source>&amp;API key</source>
        <translation>API キー(&amp;A)</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API キー</translation>
    </message>
    <message>
        <source>sk-ant-api03-…</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>sk-ant-api03-…</translation>
    </message>
    <message>
        <source>Create a key in the Claude Console under API keys. Qlaude sends it as x-api-key.</source>
        <translation>Claude Console の「API keys」でキーを作成してください。Qlaude はそれを x-api-key として送信します。</translation>
    </message>
    <message>
        <source>About API keys</source>
        <translation>API キーについて</translation>
    </message>
    <message>
        <source>&amp;Bearer token (for an LLM gateway)</source>
        <translation>Bearer トークン(LLM ゲートウェイ用)(&amp;B)</translation>
    </message>
    <message>
        <source>Bearer token</source>
        <translation>Bearer トークン</translation>
    </message>
    <message>
        <source>For a gateway or proxy that expects &quot;Authorization: Bearer&quot;, like ANTHROPIC_AUTH_TOKEN.</source>
        <translation>ANTHROPIC_AUTH_TOKEN と同様に、「Authorization: Bearer」を必要とするゲートウェイやプロキシ向けです。</translation>
    </message>
    <message>
        <source>About bearer tokens</source>
        <translation>Bearer トークンについて</translation>
    </message>
    <message>
        <source>Test target</source>
        <translation>テスト先</translation>
    </message>
    <message>
        <source>Testing</source>
        <translation>テスト状況</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状態</translation>
    </message>
    <message>
        <source>Use a &amp;cloud provider…</source>
        <translation>クラウドプロバイダーを使う(&amp;C)…</translation>
    </message>
    <message>
        <source>Use a cloud provider</source>
        <translation>クラウドプロバイダーを使う</translation>
    </message>
    <message>
        <source>Use Claude through AWS Bedrock, Google Vertex AI or Azure Foundry instead</source>
        <translation>代わりに AWS Bedrock、Google Vertex AI、または Azure Foundry 経由で Claude を使います</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>キャンセル</translation>
    </message>
    <message>
        <source>&amp;Test and save</source>
        <translation>テストして保存(&amp;T)</translation>
    </message>
    <message>
        <source>Test and save</source>
        <translation>テストして保存</translation>
    </message>
    <message>
        <source>Test and save sends one request for the model list to %1.</source>
        <translation>[テストして保存] は、モデル一覧のリクエストを 1 回 %1 に送信します。</translation>
    </message>
    <message>
        <source>the environment</source>
        <translation>環境変数</translation>
    </message>
    <message>
        <source>%1 from %2</source>
        <translation>%2 の %1</translation>
    </message>
    <message>
        <source>the apiKeyHelper command from %1</source>
        <translation>%1 の apiKeyHelper コマンド</translation>
    </message>
    <message>
        <source>A credential is already provided by %1.</source>
        <translation>認証情報はすでに次の場所で指定されています: %1。</translation>
    </message>
    <message>
        <source>; </source>
        <translation>、</translation>
    </message>
    <message>
        <source>It takes priority over a key saved here; remove it there to use the saved key.</source>
        <translation>これはここで保存したキーより優先されます。保存したキーを使うには、そちらから削除してください。</translation>
    </message>
    <message>
        <source>Paste your API key into the field, then press Test and save.</source>
        <translation>API キーを欄に貼り付けてから、[テストして保存] を押してください。</translation>
    </message>
    <message>
        <source>Paste your bearer token into the field, then press Test and save.</source>
        <translation>Bearer トークンを欄に貼り付けてから、[テストして保存] を押してください。</translation>
    </message>
    <message>
        <source>The text contains spaces, line breaks or other characters a key never has. Copy it again and paste it here.</source>
        <translation>テキストに、キーには含まれない空白、改行、その他の文字が含まれています。もう一度コピーして、ここに貼り付けてください。</translation>
    </message>
    <message>
        <source>Qlaude has no keychain to save the key in. Start a Secret Service such as gnome-keyring or KWallet, then restart Qlaude.</source>
        <translation>キーを保存できるキーチェーンがありません。gnome-keyring や KWallet などの Secret Service を起動してから、Qlaude を再起動してください。</translation>
    </message>
    <message>
        <source>Testing the %1 against %2…</source>
        <translation>%2 に対して %1 をテストしています…</translation>
    </message>
    <message>
        <source>key</source>
        <translation>キー</translation>
    </message>
    <message>
        <source>token</source>
        <translation>トークン</translation>
    </message>
    <message>
        <source>The test was cancelled. Nothing was saved.</source>
        <translation>テストはキャンセルされました。何も保存されていません。</translation>
    </message>
    <message>
        <source>Check that you copied the whole key from the Claude Console, paste it again and press Test and save.</source>
        <translation>Claude Console からキー全体をコピーしたか確認し、もう一度貼り付けて [テストして保存] を押してください。</translation>
    </message>
    <message>
        <source>Check the token with your gateway&apos;s administrator, paste it again and press Test and save.</source>
        <translation>ゲートウェイの管理者にトークンを確認し、もう一度貼り付けて [テストして保存] を押してください。</translation>
    </message>
    <message>
        <source>The test failed, so nothing was saved.</source>
        <translation>テストに失敗したため、何も保存されていません。</translation>
    </message>
    <message numerus="yes">
        <source>It works (%n model(s) available). Saving it in the keychain…</source>
        <translation>
            <numerusform>正常に動作します(%n 個のモデルを利用可能)。キーチェーンに保存しています…</numerusform>
        </translation>
    </message>
    <message>
        <source>Saved in the keychain. Loading…</source>
        <translation>キーチェーンに保存しました。読み込んでいます…</translation>
    </message>
    <message>
        <source>The keychain is locked. Unlock it and press Test and save again.</source>
        <translation>キーチェーンがロックされています。ロックを解除して、もう一度 [テストして保存] を押してください。</translation>
    </message>
    <message>
        <source>The key works, but no keychain is available to keep it, so it was not saved. Start a Secret Service such as gnome-keyring or KWallet, then press Test and save again.</source>
        <translation>キーは有効ですが、保存先のキーチェーンがないため保存されていません。gnome-keyring や KWallet などの Secret Service を起動してから、もう一度 [テストして保存] を押してください。</translation>
    </message>
    <message>
        <source>The key works, but the keychain did not save it: %1 Press Test and save to try again.</source>
        <translation>キーは有効ですが、キーチェーンに保存されませんでした: %1 もう一度試すには [テストして保存] を押してください。</translation>
    </message>
    <message>
        <source>The keychain has not answered for %1 s. If your system is asking for the keyring password, unlock it there; or press Cancel to stop waiting.</source>
        <translation>キーチェーンが %1 秒間応答していません。システムがキーリングのパスワードを求めている場合は、そこでロックを解除してください。待つのをやめるには [キャンセル] を押してください。</translation>
    </message>
    <message>
        <source>Stopped waiting for the keychain, so Qlaude does not use the key. If the keychain finishes later, the key may still be stored there. Unlock the keyring, then press Test and save to try again.</source>
        <translation>キーチェーンの応答を待つのをやめたため、Qlaude はこのキーを使用しません。キーチェーンの処理が後で完了した場合、キーはそこに保存されている可能性があります。キーリングのロックを解除してから、もう一度試すには [テストして保存] を押してください。</translation>
    </message>
</context>
<context>
    <name>qlaude::LoopbackReceiver</name>
    <message>
        <source>Could not listen on 127.0.0.1 for the browser&apos;s answer: %1.</source>
        <translation>ブラウザーからの応答を 127.0.0.1 で待ち受けできませんでした: %1。</translation>
    </message>
    <message>
        <source>Could not find a port that is free on both 127.0.0.1 and ::1 for the browser&apos;s answer: another program holds every port tried on ::1.</source>
        <translation>ブラウザーからの応答用に、127.0.0.1 と ::1 の両方で空いているポートが見つかりませんでした。::1 で試したポートはすべて別のプログラムが使用しています。</translation>
    </message>
    <message>
        <source>The request is too large.</source>
        <translation>リクエストが大きすぎます。</translation>
    </message>
    <message>
        <source>That is not an HTTP request.</source>
        <translation>これは HTTP リクエストではありません。</translation>
    </message>
    <message>
        <source>Unexpected Host header.</source>
        <translation>予期しない Host ヘッダーです。</translation>
    </message>
    <message>
        <source>Only GET is served here.</source>
        <translation>ここでは GET のみ受け付けます。</translation>
    </message>
    <message>
        <source>There is nothing here.</source>
        <translation>ここには何もありません。</translation>
    </message>
    <message>
        <source>A parameter appears twice.</source>
        <translation>パラメーターが重複しています。</translation>
    </message>
    <message>
        <source>This sign-in has already finished. Return to Qlaude.</source>
        <translation>このサインインはすでに完了しています。Qlaude に戻ってください。</translation>
    </message>
    <message>
        <source>Sign-in refused</source>
        <translation>サインインが拒否されました</translation>
    </message>
    <message>
        <source>The sign-in was refused (%1). Return to Qlaude to try again.</source>
        <translation>サインインが拒否されました(%1)。もう一度試すには Qlaude に戻ってください。</translation>
    </message>
    <message>
        <source>Authorization code not found.</source>
        <translation>認可コードが見つかりません。</translation>
    </message>
    <message>
        <source>Invalid state parameter: this answer belongs to another sign-in attempt.</source>
        <translation>state パラメーターが無効です。この応答は別のサインインのものです。</translation>
    </message>
    <message>
        <source>Signed in</source>
        <translation>サインインしました</translation>
    </message>
    <message>
        <source>You are signed in. You can close this window.</source>
        <translation>サインインしました。このウィンドウは閉じてかまいません。</translation>
    </message>
    <message>
        <source>You are signed in to Qlaude. You can close this window and return to the app.</source>
        <translation>Qlaude にサインインしました。このウィンドウを閉じてアプリに戻ってください。</translation>
    </message>
    <message>
        <source>Qlaude sign-in</source>
        <translation>Qlaude のサインイン</translation>
    </message>
</context>
<context>
    <name>qlaude::MessageDelegate</name>
    <message>
        <source>Stopped</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Interrupted</source>
        <translation>中断</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>エラー</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>コピー</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>編集</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>再生成</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>コピーしました</translation>
    </message>
    <message>
        <source>You</source>
        <translation>あなた</translation>
    </message>
    <message>
        <source>Claude</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Claude</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>コード</translation>
    </message>
    <message>
        <source>via %1</source>
        <translation>%1 経由</translation>
    </message>
    <message>
        <source>From your settings</source>
        <translation>設定に従う</translation>
    </message>
</context>
<context>
    <name>qlaude::MessageStreamAssembler</name>
    <message>
        <source>The server reported an error in the response stream: %1</source>
        <translation>サーバーが応答ストリームでエラーを報告しました: %1</translation>
    </message>
    <message>
        <source>not an object</source>
        <translation>オブジェクトではありません</translation>
    </message>
    <message>
        <source>The response stream contained an event that is not valid JSON (%1 at offset %2): %3</source>
        <translation>応答ストリームに有効な JSON ではないイベントが含まれていました(オフセット %2 で %1): %3</translation>
    </message>
    <message>
        <source>The response stream sent %1 before message_start.</source>
        <translation>応答ストリームが message_start より前に %1 を送信しました。</translation>
    </message>
    <message>
        <source>The response stream sent a second message_start.</source>
        <translation>応答ストリームが 2 つ目の message_start を送信しました。</translation>
    </message>
    <message>
        <source>The response stream sent a message_start without a message.</source>
        <translation>応答ストリームがメッセージのない message_start を送信しました。</translation>
    </message>
    <message>
        <source>The response stream sent a malformed content_block_start.</source>
        <translation>応答ストリームが不正な content_block_start を送信しました。</translation>
    </message>
    <message>
        <source>The response stream started content block %1 where block %2 was expected.</source>
        <translation>応答ストリームが、ブロック %2 が来るべき位置でコンテンツブロック %1 を開始しました。</translation>
    </message>
    <message>
        <source>The response stream sent %1 for content block %2, which was never started.</source>
        <translation>応答ストリームが、開始されていないコンテンツブロック %2 に対して %1 を送信しました。</translation>
    </message>
    <message>
        <source>The response stream sent %1 for content block %2 after it ended.</source>
        <translation>応答ストリームが、終了後のコンテンツブロック %2 に対して %1 を送信しました。</translation>
    </message>
    <message>
        <source>The response stream sent a %1 that does not fit content block %2 (a %3 block).</source>
        <translation>応答ストリームが、コンテンツブロック %2(%3 ブロック)に合わない %1 を送信しました。</translation>
    </message>
    <message>
        <source>The response stream sent a citations_delta that does not fit content block %1 (a %2 block).</source>
        <translation>応答ストリームが、コンテンツブロック %1(%2 ブロック)に合わない citations_delta を送信しました。</translation>
    </message>
    <message>
        <source>The input of tool call %1 (content block %2) is not valid JSON: %3 at offset %4.</source>
        <translation>ツール呼び出し %1(コンテンツブロック %2)の入力が有効な JSON ではありません: オフセット %4 で %3。</translation>
    </message>
    <message>
        <source>The server reported an error (%1) in the response stream.</source>
        <translation>サーバーが応答ストリームでエラーを報告しました(%1)。</translation>
    </message>
</context>
<context>
    <name>qlaude::MessageView</name>
    <message>
        <source>Jump to latest ↓</source>
        <translation>最新へ移動 ↓</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>メッセージ</translation>
    </message>
    <message>
        <source>No messages</source>
        <translation>メッセージはありません</translation>
    </message>
    <message>
        <source>Jump to the latest message</source>
        <translation>最新のメッセージへ移動</translation>
    </message>
    <message>
        <source>Scroll to the answer arriving now and follow it (End)</source>
        <translation>受信中の回答までスクロールして追従します(End)</translation>
    </message>
    <message>
        <source>Code copied</source>
        <translation>コードをコピーしました</translation>
    </message>
    <message>
        <source>Message copied</source>
        <translation>メッセージをコピーしました</translation>
    </message>
    <message>
        <source>Copy Code</source>
        <translation>コードをコピー</translation>
    </message>
    <message>
        <source>Copy Message</source>
        <translation>メッセージをコピー</translation>
    </message>
    <message>
        <source>Hide Thinking</source>
        <translation>思考を隠す</translation>
    </message>
    <message>
        <source>Show Thinking</source>
        <translation>思考を表示</translation>
    </message>
    <message>
        <source>Edit and Resend…</source>
        <translation>編集して再送信…</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>再生成</translation>
    </message>
    <message>
        <source>Previous Version</source>
        <translation>前のバージョン</translation>
    </message>
    <message>
        <source>Next Version</source>
        <translation>次のバージョン</translation>
    </message>
</context>
<context>
    <name>qlaude::NetworkAccess</name>
    <message>
        <source>an unnamed authority</source>
        <translation>名前のない認証局</translation>
    </message>
    <message>
        <source> The connection goes through the proxy %1, which may be inspecting TLS and re-signing certificates with its own CA.</source>
        <translation>接続はプロキシ %1 を経由しています。このプロキシが TLS を検査し、独自の CA で証明書に署名し直している可能性があります。</translation>
    </message>
    <message>
        <source>The TLS certificate presented for %1 is for %2, not for %1.%3 Check the base URL; certificate errors are never ignored.</source>
        <translation>%1 に対して提示された TLS 証明書は %1 用ではなく %2 用です。%3ベース URL を確認してください。証明書のエラーが無視されることはありません。</translation>
    </message>
    <message>
        <source>no host name</source>
        <translation>ホスト名なし</translation>
    </message>
    <message>
        <source>the system store</source>
        <translation>システムの証明書ストア</translation>
    </message>
    <message>
        <source>this computer does not trust</source>
        <translation>このコンピューターはこの発行元を信頼していません</translation>
    </message>
    <message>
        <source>none of %1 trusts</source>
        <translation>%1 のいずれもこの発行元を信頼していません</translation>
    </message>
    <message>
        <source>The TLS certificate of %1 was issued by %2, which %3.%4 If your company uses its own certificate authority, save its CA certificate as a PEM file and set NODE_EXTRA_CA_CERTS to that file.</source>
        <translation>%1 の TLS 証明書の発行元は %2 ですが、%3。%4会社が独自の認証局を使っている場合は、その CA 証明書を PEM ファイルとして保存し、NODE_EXTRA_CA_CERTS にそのファイルを設定してください。</translation>
    </message>
    <message>
        <source>The TLS certificate of %1 expired on %2.%3</source>
        <translation>%1 の TLS 証明書は %2 に期限切れになりました。%3</translation>
    </message>
    <message>
        <source>The TLS certificate of %1 is not valid before %2; check this computer&apos;s clock.%3</source>
        <translation>%1 の TLS 証明書は %2 より前には有効ではありません。このコンピューターの時計を確認してください。%3</translation>
    </message>
    <message>
        <source>The TLS certificate of %1 was refused: %2.%3</source>
        <translation>%1 の TLS 証明書が拒否されました: %2。%3</translation>
    </message>
    <message>
        <source>proxyAuthHelper printed no usable Proxy-Authorization value: it must print one line, such as &quot;Basic dXNlcjpwYXNz&quot;.</source>
        <translation>proxyAuthHelper が使用できる Proxy-Authorization の値を出力しませんでした。「Basic dXNlcjpwYXNz」のような 1 行を出力する必要があります。</translation>
    </message>
    <message>
        <source>%1 (from %2)</source>
        <translation>%1(%2 から)</translation>
    </message>
    <message>
        <source>The proxy %1 refused the user name and password in its URL (HTTP 407 Proxy Authentication Required). Check them.</source>
        <translation>プロキシ %1 が URL 内のユーザー名とパスワードを拒否しました(HTTP 407 Proxy Authentication Required)。確認してください。</translation>
    </message>
    <message>
        <source>The proxy %1 asks for credentials (HTTP 407 Proxy Authentication Required). Put them in the proxy URL (http://user:password@host:port), or set proxyAuthHelper with CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER=1.</source>
        <translation>プロキシ %1 が認証情報を要求しています(HTTP 407 Proxy Authentication Required)。プロキシの URL に含める(http://user:password@host:port)か、CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER=1 とともに proxyAuthHelper を設定してください。</translation>
    </message>
    <message>
        <source>in the way</source>
        <translation>(経路上)</translation>
    </message>
    <message>
        <source>The proxy %1 could not be used: %2. Check the proxy variables, or exclude the host with NO_PROXY.</source>
        <translation>プロキシ %1 を使用できませんでした: %2。プロキシの変数を確認するか、NO_PROXY でホストを除外してください。</translation>
    </message>
    <message>
        <source>(unknown)</source>
        <translation>(不明)</translation>
    </message>
    <message>
        <source>%1 ended the connection during the TLS handshake, as a server that requires a client certificate does: set CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY to its PEM files.</source>
        <translation>%1 が TLS ハンドシェイク中に接続を終了しました。クライアント証明書を必要とするサーバーの動作です。CLAUDE_CODE_CLIENT_CERT と CLAUDE_CODE_CLIENT_KEY に証明書の PEM ファイルを設定してください。</translation>
    </message>
    <message>
        <source>%1 refused the client certificate (CLAUDE_CODE_CLIENT_CERT): check that it is the one the server expects and has not been revoked.</source>
        <translation>%1 がクライアント証明書(CLAUDE_CODE_CLIENT_CERT)を拒否しました。サーバーが想定している証明書か、失効していないかを確認してください。</translation>
    </message>
    <message>
        <source>%1 closed the connection before answering; if it requires a client certificate (mTLS), set CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY</source>
        <translation>%1 が応答する前に接続を閉じました。クライアント証明書(mTLS)が必要な場合は、CLAUDE_CODE_CLIENT_CERT と CLAUDE_CODE_CLIENT_KEY を設定してください</translation>
    </message>
</context>
<context>
    <name>qlaude::NetworkSetup</name>
    <message>
        <source>%1 names %2, which does not exist</source>
        <translation>%1 は %2 を指定していますが、存在しません</translation>
    </message>
    <message>
        <source>%1 names %2, which is larger than 16 MiB and is not a PEM file</source>
        <translation>%1 は %2 を指定していますが、16 MiB を超えており PEM ファイルではありません</translation>
    </message>
    <message>
        <source>%1 names %2, which could not be read: %3</source>
        <translation>%1 は %2 を指定していますが、読み取れませんでした: %3</translation>
    </message>
    <message>
        <source>(no name)</source>
        <translation>(名前なし)</translation>
    </message>
    <message>
        <source>set CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER=1 to use it</source>
        <translation>使用するには CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER=1 を設定してください</translation>
    </message>
    <message>
        <source>%1 (%2) excludes it</source>
        <translation>%1(%2)で除外</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CERT_STORE=%1: Qlaude has no bundled store and uses the system&apos;s certificates</source>
        <translation>CLAUDE_CODE_CERT_STORE=%1: Qlaude には同梱の証明書ストアがないため、システムの証明書を使います</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CERT_STORE=%1 asks for the bundled store only; Qlaude has none and uses the system&apos;s certificates instead</source>
        <translation>CLAUDE_CODE_CERT_STORE=%1 は同梱の証明書ストアのみを要求していますが、Qlaude には同梱のストアがないため、代わりにシステムの証明書を使います</translation>
    </message>
    <message>
        <source>%1 names %2, which holds no PEM certificate</source>
        <translation>%1 は %2 を指定していますが、PEM 証明書が含まれていません</translation>
    </message>
    <message>
        <source>%1 names %2, in which %3 of %4 certificates could not be read</source>
        <translation>%1 は %2 を指定していますが、%4 件の証明書のうち %3 件を読み取れませんでした</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_KEY is set but CLAUDE_CODE_CLIENT_CERT is not: set both to present a client certificate</source>
        <translation>CLAUDE_CODE_CLIENT_KEY は設定されていますが CLAUDE_CODE_CLIENT_CERT が設定されていません。クライアント証明書を提示するには両方を設定してください</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_CERT names %1, which holds no PEM certificate</source>
        <translation>CLAUDE_CODE_CLIENT_CERT は %1 を指定していますが、PEM 証明書が含まれていません</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_CERT is set but CLAUDE_CODE_CLIENT_KEY is not, and %1 holds no private key: set CLAUDE_CODE_CLIENT_KEY to the key&apos;s PEM file</source>
        <translation>CLAUDE_CODE_CLIENT_CERT は設定されていますが CLAUDE_CODE_CLIENT_KEY が設定されておらず、%1 に秘密鍵が含まれていません。CLAUDE_CODE_CLIENT_KEY に鍵の PEM ファイルを設定してください</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_KEY names %1, which is encrypted: set CLAUDE_CODE_CLIENT_KEY_PASSPHRASE, or save the passphrase in Settings &gt; Network</source>
        <translation>CLAUDE_CODE_CLIENT_KEY は %1 を指定していますが、暗号化されています。CLAUDE_CODE_CLIENT_KEY_PASSPHRASE を設定するか、[設定] &gt; [ネットワーク] でパスフレーズを保存してください</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_KEY names %1, which could not be decrypted with the passphrase from %2: check it</source>
        <translation>CLAUDE_CODE_CLIENT_KEY は %1 を指定していますが、%2 のパスフレーズで復号できませんでした。パスフレーズを確認してください</translation>
    </message>
    <message>
        <source>the keychain (Settings &gt; Network)</source>
        <translation>キーチェーン([設定] &gt; [ネットワーク])</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_KEY names %1, which holds no PEM private key Qlaude can read (RSA, EC or DSA)</source>
        <translation>CLAUDE_CODE_CLIENT_KEY は %1 を指定していますが、Qlaude が読み取れる PEM 秘密鍵(RSA、EC、DSA)が含まれていません</translation>
    </message>
    <message>
        <source>The client certificate in %1 (%2) expired on %3: renew it</source>
        <translation>%1(%2)のクライアント証明書は %3 に期限切れになりました。更新してください</translation>
    </message>
    <message>
        <source>The client certificate in %1 (%2) expires on %3, in %4 days: renew it soon</source>
        <translation>%1(%2)のクライアント証明書は %3(%4 日後)に期限切れになります。早めに更新してください</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthBrowserDialog</name>
    <message>
        <source>Sign in</source>
        <translation>サインイン</translation>
    </message>
    <message>
        <source>Page address</source>
        <translation>ページのアドレス</translation>
    </message>
    <message>
        <source>Connection security</source>
        <translation>接続のセキュリティ</translation>
    </message>
    <message>
        <source>The sign-in page&apos;s certificate is not valid (%1), so the login was stopped. Check the date and time of your computer and any proxy that inspects TLS, then try again.</source>
        <translation>サインインページの証明書が無効なため(%1)、ログインを中止しました。コンピューターの日付と時刻、および TLS を検査するプロキシを確認してから、もう一度お試しください。</translation>
    </message>
    <message>
        <source>The sign-in did not finish within %1 minutes. Start the login again.</source>
        <translation>サインインが %1 分以内に完了しませんでした。もう一度ログインを始めてください。</translation>
    </message>
    <message>
        <source>🔒 Secure connection</source>
        <translation>🔒 安全な接続</translation>
    </message>
    <message>
        <source>Local connection (this computer)</source>
        <translation>ローカル接続(このコンピューター)</translation>
    </message>
    <message>
        <source>⚠ Not secure (no HTTPS)</source>
        <translation>⚠ 安全ではありません(HTTPS なし)</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthClient</name>
    <message>
        <source>%1 timed out: the sign-in server did not answer.</source>
        <translation>%1 がタイムアウトしました。サインインサーバーが応答しませんでした。</translation>
    </message>
    <message>
        <source>%1 failed: %2.</source>
        <translation>%1 に失敗しました: %2。</translation>
    </message>
    <message>
        <source>%1 failed: the sign-in server answered with a redirect (HTTP %2), which Qlaude does not follow for token requests.</source>
        <translation>%1 に失敗しました。サインインサーバーがリダイレクト(HTTP %2)で応答しましたが、Qlaude はトークンのリクエストではリダイレクトに従いません。</translation>
    </message>
    <message>
        <source>%1 failed (HTTP %2)%3.</source>
        <translation>%1 に失敗しました(HTTP %2)%3。</translation>
    </message>
    <message>
        <source>The sign-in server&apos;s answer has no access token.</source>
        <translation>サインインサーバーの応答にアクセストークンがありません。</translation>
    </message>
    <message>
        <source>The sign-in server issued a &quot;%1&quot; token; Qlaude can only use Bearer tokens.</source>
        <translation>サインインサーバーが「%1」トークンを発行しました。Qlaude が使えるのは Bearer トークンだけです。</translation>
    </message>
    <message>
        <source>Authentication failed: Invalid authorization code.</source>
        <translation>認証に失敗しました: 認可コードが無効です。</translation>
    </message>
    <message>
        <source>Token exchange</source>
        <translation>トークンの交換</translation>
    </message>
    <message>
        <source>The stored login has no refresh token.</source>
        <translation>保存されたログインにリフレッシュトークンがありません。</translation>
    </message>
    <message>
        <source>Token refresh</source>
        <translation>トークンの更新</translation>
    </message>
    <message>
        <source>The sign-in server has no revocation endpoint.</source>
        <translation>サインインサーバーに取り消し用のエンドポイントがありません。</translation>
    </message>
    <message>
        <source>There is no token to revoke.</source>
        <translation>取り消すトークンがありません。</translation>
    </message>
    <message>
        <source>OIDC discovery</source>
        <translation>OIDC ディスカバリー</translation>
    </message>
    <message>
        <source>The OIDC provider at %1 announced a different issuer (%2); the login was stopped.</source>
        <translation>%1 の OIDC プロバイダーが異なる発行者(%2)を通知したため、ログインを中止しました。</translation>
    </message>
    <message>
        <source>The OIDC provider at %1 announced no authorization or token endpoint.</source>
        <translation>%1 の OIDC プロバイダーが認可エンドポイントまたはトークンエンドポイントを通知しませんでした。</translation>
    </message>
    <message>
        <source>The OIDC provider at %1 does not support PKCE with S256, which Qlaude requires.</source>
        <translation>%1 の OIDC プロバイダーは、Qlaude に必要な S256 による PKCE に対応していません。</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthLoginCommand</name>
    <message>
        <source>The desktop could not open a browser.</source>
        <translation>デスクトップでブラウザーを開けませんでした。</translation>
    </message>
    <message>
        <source>; the access token lasts %1 hours and is refreshed automatically</source>
        <translation>。アクセストークンの有効期間は %1 時間で、自動的に更新されます</translation>
    </message>
    <message>
        <source>; the access token lasts %1 minutes and is refreshed automatically</source>
        <translation>。アクセストークンの有効期間は %1 分で、自動的に更新されます</translation>
    </message>
    <message>
        <source>--bare never uses OAuth. Run qlaude --login=oauth without --bare.</source>
        <translation>--bare では OAuth を使いません。--bare を付けずに qlaude --login=oauth を実行してください。</translation>
    </message>
    <message>
        <source>Unknown login profile &quot;%1&quot;. Use --profile=claudeai, --profile=console or --profile=oidc.</source>
        <translation>不明なログインプロファイル「%1」です。--profile=claudeai、--profile=console、または --profile=oidc を使ってください。</translation>
    </message>
    <message>
        <source>Unknown browser &quot;%1&quot;. Use --browser=system, --browser=manual or --browser=embedded.</source>
        <translation>不明なブラウザー「%1」です。--browser=system、--browser=manual、または --browser=embedded を使ってください。</translation>
    </message>
    <message>
        <source>The embedded browser needs the desktop app: start qlaude without arguments and log in from its login dialog, or use --browser=system or --browser=manual here.</source>
        <translation>埋め込みブラウザーにはデスクトップアプリが必要です。引数なしで qlaude を起動してログインダイアログからログインするか、ここでは --browser=system または --browser=manual を使ってください。</translation>
    </message>
    <message>
        <source>The sign-in was not started: the login could not be stored.</source>
        <translation>サインインを開始しませんでした。ログイン情報を保存できません。</translation>
    </message>
    <message>
        <source>Paste code here if prompted &gt; </source>
        <translation>求められたらここにコードを貼り付けてください &gt; </translation>
    </message>
    <message>
        <source>Opening your browser to sign in with %1…</source>
        <translation>%1 でサインインするためにブラウザーを開いています…</translation>
    </message>
    <message>
        <source>Open the address below yourself.</source>
        <translation>下のアドレスをご自身で開いてください。</translation>
    </message>
    <message>
        <source>If the browser didn&apos;t open, visit this address and paste the code shown at the end here:</source>
        <translation>ブラウザーが開かない場合は、このアドレスにアクセスし、最後に表示されるコードをここに貼り付けてください:</translation>
    </message>
    <message>
        <source>If the browser didn&apos;t open, visit:</source>
        <translation>ブラウザーが開かない場合は、次にアクセスしてください:</translation>
    </message>
    <message>
        <source>Visit this address to sign in with %1, then paste the code shown at the end here:</source>
        <translation>%1 でサインインするにはこのアドレスにアクセスし、最後に表示されるコードをここに貼り付けてください:</translation>
    </message>
    <message>
        <source>Visit this address to sign in with %1. If the last page does not load, copy its whole address from the address bar and paste it here:</source>
        <translation>%1 でサインインするにはこのアドレスにアクセスしてください。最後のページが読み込まれない場合は、アドレスバーからそのアドレス全体をコピーしてここに貼り付けてください:</translation>
    </message>
    <message>
        <source>Account: %1.</source>
        <translation>アカウント: %1。</translation>
    </message>
    <message>
        <source>The login is stored in the system keychain%1.</source>
        <translation>ログイン情報はシステムのキーチェーンに保存されました%1。</translation>
    </message>
    <message>
        <source>Scopes: %1</source>
        <translation>スコープ: %1</translation>
    </message>
    <message>
        <source>No code was pasted before stdin closed; the sign-in was cancelled. Run the login again and paste the code shown after signing in.</source>
        <translation>標準入力が閉じられるまでにコードが貼り付けられなかったため、サインインはキャンセルされました。もう一度ログインを実行し、サインイン後に表示されるコードを貼り付けてください。</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthLoginFlow</name>
    <message>
        <source>%1 minutes</source>
        <translation>%1 分</translation>
    </message>
    <message>
        <source>%1 seconds</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>The sign-in timed out after %1 without an answer from the browser. Start it again.</source>
        <translation>ブラウザーからの応答がないまま %1 が経過したため、サインインがタイムアウトしました。もう一度始めてください。</translation>
    </message>
    <message>
        <source>The sign-in was refused by the server (%1%2). Start it again.</source>
        <translation>サーバーがサインインを拒否しました(%1%2)。もう一度始めてください。</translation>
    </message>
    <message>
        <source>No sign-in is waiting for an answer.</source>
        <translation>応答を待っているサインインはありません。</translation>
    </message>
    <message>
        <source>That address is not this sign-in&apos;s redirect.</source>
        <translation>このアドレスは、このサインインのリダイレクト先ではありません。</translation>
    </message>
    <message>
        <source>A parameter appears twice in the redirect.</source>
        <translation>リダイレクトにパラメーターが重複しています。</translation>
    </message>
    <message>
        <source>The sign-in was refused by the server (%1). Start it again.</source>
        <translation>サーバーがサインインを拒否しました(%1)。もう一度始めてください。</translation>
    </message>
    <message>
        <source>Authorization code not found.</source>
        <translation>認可コードが見つかりません。</translation>
    </message>
    <message>
        <source>No sign-in is waiting for a code.</source>
        <translation>コードを待っているサインインはありません。</translation>
    </message>
    <message>
        <source>Authorization code not found in that address.</source>
        <translation>このアドレスに認可コードが見つかりません。</translation>
    </message>
    <message>
        <source>Invalid code. Please make sure the full code was copied.</source>
        <translation>コードが無効です。コード全体をコピーしたか確認してください。</translation>
    </message>
    <message>
        <source>Invalid state: this code belongs to another sign-in attempt. Use the code shown after this attempt&apos;s sign-in, or start again.</source>
        <translation>state が無効です。このコードは別のサインインのものです。今回のサインイン後に表示されたコードを使うか、もう一度始めてください。</translation>
    </message>
    <message>
        <source>Start the sign-in again.</source>
        <translation>もう一度サインインを始めてください。</translation>
    </message>
    <message>
        <source>Signed in with %1.</source>
        <translation>%1 でサインインしました。</translation>
    </message>
    <message>
        <source>You signed in, but the login could not be stored: %1</source>
        <translation>サインインしましたが、ログイン情報を保存できませんでした: %1</translation>
    </message>
    <message>
        <source>The sign-in was cancelled.</source>
        <translation>サインインはキャンセルされました。</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthProfile</name>
    <message>
        <source>%1 in %2 was ignored: OAuth settings are read only from the environment and the user and managed settings.</source>
        <translation>%2 の %1 は無視されました。OAuth の設定は、環境変数、ユーザー設定、管理設定からのみ読み込まれます。</translation>
    </message>
    <message>
        <source>the Anthropic Console</source>
        <translation>Anthropic Console</translation>
    </message>
    <message>
        <source>organization SSO</source>
        <translation>組織の SSO</translation>
    </message>
    <message>
        <source>You can use an Anthropic API key (qlaude --login=api-key or ANTHROPIC_API_KEY), an apiKeyHelper command, a bearer token for a gateway (ANTHROPIC_AUTH_TOKEN, or organization SSO with --profile=oidc), or a cloud provider (Amazon Bedrock, Google Vertex AI or Microsoft Foundry).</source>
        <translation>Anthropic の API キー(qlaude --login=api-key または ANTHROPIC_API_KEY)、apiKeyHelper コマンド、ゲートウェイ用の Bearer トークン(ANTHROPIC_AUTH_TOKEN、または --profile=oidc による組織の SSO)、あるいはクラウドプロバイダー(Amazon Bedrock、Google Vertex AI、Microsoft Foundry)を使えます。</translation>
    </message>
    <message>
        <source>Organization SSO is not configured: set &quot;oidc&quot;: {&quot;issuer&quot;, &quot;clientId&quot;} in your user or managed settings, or QLAUDE_OIDC_ISSUER and QLAUDE_OIDC_CLIENT_ID.</source>
        <translation>組織の SSO が設定されていません。ユーザー設定または管理設定で &quot;oidc&quot;: {&quot;issuer&quot;, &quot;clientId&quot;} を設定するか、QLAUDE_OIDC_ISSUER と QLAUDE_OIDC_CLIENT_ID を設定してください。</translation>
    </message>
    <message>
        <source>The OIDC issuer (%1, from %2) must be an https URL without a query.</source>
        <translation>OIDC の発行者(%1、%2 から)は、クエリを含まない https の URL である必要があります。</translation>
    </message>
    <message>
        <source>Organization SSO needs a client id: set &quot;oidc&quot;: {&quot;clientId&quot;} in your user or managed settings, or QLAUDE_OIDC_CLIENT_ID.</source>
        <translation>組織の SSO にはクライアント ID が必要です。ユーザー設定または管理設定で &quot;oidc&quot;: {&quot;clientId&quot;} を設定するか、QLAUDE_OIDC_CLIENT_ID を設定してください。</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CUSTOM_OAUTH_URL (%1, from %2) must be an https URL without a query.</source>
        <translation>CLAUDE_CODE_CUSTOM_OAUTH_URL(%1、%2 から)は、クエリを含まない https の URL である必要があります。</translation>
    </message>
    <message>
        <source>This build of Qlaude is not authorized by Anthropic for Claude.ai or Console subscription login. </source>
        <translation>この Qlaude のビルドは、Claude.ai または Console のサブスクリプションでのログインを Anthropic から許可されていません。</translation>
    </message>
    <message>
        <source>The OIDC provider %1 announced an authorization or token endpoint that is not https.</source>
        <translation>OIDC プロバイダー %1 が https ではない認可エンドポイントまたはトークンエンドポイントを通知しました。</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthTokenStore</name>
    <message>
        <source>The stored login holds no access token. Log in again with qlaude --login=oauth.</source>
        <translation>保存されているログイン情報にアクセストークンがありません。qlaude --login=oauth でもう一度ログインしてください。</translation>
    </message>
    <message>
        <source> Log in again with qlaude --login=oauth.</source>
        <translation> qlaude --login=oauth でもう一度ログインしてください。</translation>
    </message>
</context>
<context>
    <name>qlaude::PrintCommand</name>
    <message>
        <source>Fix the file given with --settings, or leave the option out.</source>
        <translation>--settings で指定したファイルを修正するか、このオプションを外してください。</translation>
    </message>
    <message>
        <source>warning: %1</source>
        <translation>警告: %1</translation>
    </message>
    <message>
        <source>note: %1</source>
        <translation>注意: %1</translation>
    </message>
    <message>
        <source>ANTHROPIC_BASE_URL (%1) is not an http(s) URL.</source>
        <translation>ANTHROPIC_BASE_URL(%1)が http(s)の URL ではありません。</translation>
    </message>
    <message>
        <source>--output-format must be text, json or stream-json.</source>
        <translation>--output-format には text、json、または stream-json を指定してください。</translation>
    </message>
    <message>
        <source>--print needs a prompt: qlaude --print &quot;question&quot;, or pipe it on stdin.</source>
        <translation>--print には質問が必要です: qlaude --print &quot;質問&quot;、または標準入力にパイプで渡してください。</translation>
    </message>
    <message>
        <source>%1; retrying in %2 s (retry %3).</source>
        <translation>%1。%2 秒後に再試行します(%3 回目)。</translation>
    </message>
    <message>
        <source>stopped by a signal; the partial answer is saved as stopped.</source>
        <translation>シグナルにより停止しました。途中までの回答は停止済みとして保存されています。</translation>
    </message>
    <message>
        <source>stopped by a signal.</source>
        <translation>シグナルにより停止しました。</translation>
    </message>
    <message>
        <source>the API returned no models.</source>
        <translation>API からモデルが返されませんでした。</translation>
    </message>
</context>
<context>
    <name>qlaude::ProviderChoicePage</name>
    <message>
        <source>Provider</source>
        <translation>プロバイダー</translation>
    </message>
    <message>
        <source>Where Qlaude sends requests. Choose one; its own page in the list holds its settings.</source>
        <translation>Qlaude がリクエストを送る先です。1 つ選んでください。各プロバイダーの設定は一覧のそれぞれのページにあります。</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>設定…</translation>
    </message>
    <message>
        <source>Open the %1 settings</source>
        <translation>%1 の設定を開く</translation>
    </message>
    <message>
        <source>Where the provider choice comes from</source>
        <translation>プロバイダーの選択の設定元</translation>
    </message>
    <message>
        <source>Why some providers cannot be chosen</source>
        <translation>選べないプロバイダーがある理由</translation>
    </message>
    <message>
        <source>None of CLAUDE_CODE_USE_BEDROCK, CLAUDE_CODE_USE_VERTEX or CLAUDE_CODE_USE_FOUNDRY is set, so requests go to the Anthropic API.</source>
        <translation>CLAUDE_CODE_USE_BEDROCK、CLAUDE_CODE_USE_VERTEX、CLAUDE_CODE_USE_FOUNDRY のいずれも設定されていないため、リクエストは Anthropic API に送られます。</translation>
    </message>
    <message>
        <source>%1 is in use: %2=%3, from %4.</source>
        <translation>%1 を使用中: %2=%3（%4 から）。</translation>
    </message>
    <message>
        <source>Set by %1: %2=%3.</source>
        <translation>%1 が設定: %2=%3。</translation>
    </message>
    <message>
        <source>Save writes the choice to the env block of your user settings, which the Claude Code CLI reads too.</source>
        <translation>「保存」は選択をユーザー設定の env ブロックに書き込みます。Claude Code CLI もこれを読み込みます。</translation>
    </message>
    <message>
        <source>So %1 cannot be chosen here; change the setting there first.</source>
        <translation>そのため、ここでは %1 を選べません。先にその設定を変更してください。</translation>
    </message>
</context>
<context>
    <name>qlaude::ProviderClient</name>
    <message>
        <source>%1 is not available with the %2 provider</source>
        <translation>%2 プロバイダーでは %1 は利用できません</translation>
    </message>
    <message>
        <source>Counting tokens</source>
        <translation>トークンのカウント</translation>
    </message>
    <message>
        <source>The model list</source>
        <translation>モデルの一覧</translation>
    </message>
    <message>
        <source>The model list could not be read</source>
        <translation>モデルの一覧を読み取れませんでした</translation>
    </message>
</context>
<context>
    <name>qlaude::ProviderParts</name>
    <message>
        <source>The access token from %1 is empty or contains a control character</source>
        <translation>%1 のアクセストークンが空であるか、制御文字が含まれています</translation>
    </message>
    <message>
        <source>The token endpoint answered something that is not a token; check the credential shown by qlaude --doctor.</source>
        <translation>トークンエンドポイントがトークンではないものを返しました。qlaude --doctor が表示する認証情報を確認してください。</translation>
    </message>
</context>
<context>
    <name>qlaude::ProviderSettingsPage</name>
    <message>
        <source>Test &amp;connection</source>
        <translation>接続をテスト(&amp;C)</translation>
    </message>
    <message>
        <source>Test connection to %1</source>
        <translation>%1 への接続をテスト</translation>
    </message>
    <message>
        <source>Test result</source>
        <translation>テスト結果</translation>
    </message>
    <message>
        <source>X-Gateway-Team: research</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>X-Gateway-Team: research</translation>
    </message>
    <message>
        <source>Forget</source>
        <translation>削除</translation>
    </message>
    <message>
        <source>Forget the stored %1</source>
        <translation>保存されている %1 を削除</translation>
    </message>
    <message>
        <source>Remove it from the keychain</source>
        <translation>キーチェーンから削除します</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>%1, where the value comes from</source>
        <translation>%1、値の出どころ</translation>
    </message>
    <message>
        <source>%1, problem</source>
        <translation>%1、問題</translation>
    </message>
    <message>
        <source>From your user settings (%1).</source>
        <translation>ユーザー設定(%1)の値です。</translation>
    </message>
    <message>
        <source>Locked: set by managed settings (%1). Your administrator controls it.</source>
        <translation>ロック中: 管理設定(%1)で設定されています。管理者が管理しています。</translation>
    </message>
    <message>
        <source>Locked: set by this folder&apos;s %1 settings (%2), which take priority over your user settings. Change it there.</source>
        <translation>ロック中: このフォルダーの %1 設定(%2)で設定されており、ユーザー設定より優先されます。そちらで変更してください。</translation>
    </message>
    <message>
        <source>Locked: set by --settings (%1) for this run.</source>
        <translation>ロック中: 今回の実行では --settings(%1)で設定されています。</translation>
    </message>
    <message>
        <source>Locked: set in the environment Qlaude was started from. Unset %1 there to change it here.</source>
        <translation>ロック中: Qlaude を起動した環境で設定されています。ここで変更するには、そちらで %1 を解除してください。</translation>
    </message>
    <message>
        <source>Stored in plaintext in your user settings (%1). Press Save to move it to the keychain.</source>
        <translation>ユーザー設定(%1)に平文で保存されています。[保存] を押すとキーチェーンに移動します。</translation>
    </message>
    <message>
        <source>Not set.</source>
        <translation>未設定です。</translation>
    </message>
    <message>
        <source>Not set; the default is %1.</source>
        <translation>未設定です。既定値は %1 です。</translation>
    </message>
    <message>
        <source>No keychain is available, so this secret cannot be saved.</source>
        <translation>キーチェーンを利用できないため、このシークレットは保存できません。</translation>
    </message>
    <message>
        <source>Checking the keychain…</source>
        <translation>キーチェーンを確認しています…</translation>
    </message>
    <message>
        <source>Stored in the keychain (%1). Type a new one to replace it.</source>
        <translation>キーチェーンに保存されています(%1)。置き換えるには新しい値を入力してください。</translation>
    </message>
    <message>
        <source>Not set. What you enter here is kept in the keychain, never in a file.</source>
        <translation>未設定です。ここに入力した内容は、ファイルではなくキーチェーンに保存されます。</translation>
    </message>
    <message>
        <source>Removed from the keychain.</source>
        <translation>キーチェーンから削除しました。</translation>
    </message>
    <message>
        <source>Testing…</source>
        <translation>テストしています…</translation>
    </message>
    <message>
        <source>Check &amp;network</source>
        <translation>ネットワークを確認(&amp;N)</translation>
    </message>
    <message>
        <source>Check the network settings</source>
        <translation>ネットワーク設定を確認</translation>
    </message>
    <message>
        <source>the environment Qlaude was started from</source>
        <translation>Qlaude を起動した環境</translation>
    </message>
    <message>
        <source>%1 settings (%2)</source>
        <translation>%1 設定（%2）</translation>
    </message>
    <message>
        <source>Also set in %1, which is ignored: %2 wins.</source>
        <translation>%1 でも設定されていますが無視されます。%2 が優先されます。</translation>
    </message>
    <message>
        <source>Also set in %1, which are ignored: %2 wins.</source>
        <translation>%1 でも設定されていますが無視されます。%2 が優先されます。</translation>
    </message>
    <message>
        <source> and </source>
        <translation>と</translation>
    </message>
    <message>
        <source>Show the proxy for each provider, the CA files and the client certificate, as qlaude --doctor does, with the values shown here (saved or not)</source>
        <translation>qlaude --doctor と同様に、各プロバイダーのプロキシ、CA ファイル、クライアント証明書を表示します（ここに表示されている値を使用。保存済みかどうかは問いません）</translation>
    </message>
    <message>
        <source>Run the checks of qlaude --doctor for %1 and send one small request, with the values shown here (saved or not)</source>
        <translation>%1 について qlaude --doctor のチェックを実行し、小さなリクエストを 1 つ送信します（ここに表示されている値を使用。保存済みかどうかは問いません）</translation>
    </message>
    <message>
        <source>%1, also set elsewhere</source>
        <translation>%1（ほかの場所でも設定）</translation>
    </message>
</context>
<context>
    <name>qlaude::ProviderStatus</name>
    <message>
        <source>No credential: log in, set ANTHROPIC_API_KEY, or configure an apiKeyHelper.</source>
        <translation>認証情報がありません。ログインするか、ANTHROPIC_API_KEY を設定するか、apiKeyHelper を構成してください。</translation>
    </message>
    <message>
        <source>Region: %1%2</source>
        <translation>リージョン: %1%2</translation>
    </message>
    <message>
        <source> (default)</source>
        <translation> (既定)</translation>
    </message>
    <message>
        <source>Profile: %1</source>
        <translation>プロファイル: %1</translation>
    </message>
    <message>
        <source>Authentication: skipped (CLAUDE_CODE_SKIP_BEDROCK_AUTH)</source>
        <translation>認証: スキップ(CLAUDE_CODE_SKIP_BEDROCK_AUTH)</translation>
    </message>
    <message>
        <source>Authentication: Bedrock API key (Bearer)</source>
        <translation>認証: Bedrock API キー(Bearer)</translation>
    </message>
    <message>
        <source>Authentication: SigV4 with AWS credentials from %1</source>
        <translation>認証: %1 の AWS 認証情報による SigV4</translation>
    </message>
    <message>
        <source>No AWS credentials were found in the environment, the AWS files or a command; only instance metadata (EC2) is left to try. Set AWS_PROFILE, access keys or a Bedrock API key, or AWS_EC2_METADATA_DISABLED=true off EC2.</source>
        <translation>環境変数、AWS のファイル、コマンドのいずれからも AWS の認証情報が見つかりませんでした。残る候補はインスタンスメタデータ(EC2)だけです。AWS_PROFILE、アクセスキー、または Bedrock API キーを設定するか、EC2 以外では AWS_EC2_METADATA_DISABLED=true を設定してください。</translation>
    </message>
    <message>
        <source>Region: %1 (%2)</source>
        <translation>リージョン: %1(%2)</translation>
    </message>
    <message>
        <source>Region for %1: %2</source>
        <translation>%1 のリージョン: %2</translation>
    </message>
    <message>
        <source>Project: %1 (%2)</source>
        <translation>プロジェクト: %1(%2)</translation>
    </message>
    <message>
        <source>No Google Cloud project is set: set ANTHROPIC_VERTEX_PROJECT_ID (or GOOGLE_CLOUD_PROJECT) to your project id. Only the metadata server (on Google Cloud) could name one.</source>
        <translation>Google Cloud のプロジェクトが設定されていません。ANTHROPIC_VERTEX_PROJECT_ID(または GOOGLE_CLOUD_PROJECT)にプロジェクト ID を設定してください。プロジェクトを示せるのはメタデータサーバー(Google Cloud 上)だけです。</translation>
    </message>
    <message>
        <source>No Google Cloud project is set: set ANTHROPIC_VERTEX_PROJECT_ID (or GOOGLE_CLOUD_PROJECT) to your project id.</source>
        <translation>Google Cloud のプロジェクトが設定されていません。ANTHROPIC_VERTEX_PROJECT_ID(または GOOGLE_CLOUD_PROJECT)にプロジェクト ID を設定してください。</translation>
    </message>
    <message>
        <source>URL: %1</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>URL: %1</translation>
    </message>
    <message>
        <source>Authentication: skipped (CLAUDE_CODE_SKIP_VERTEX_AUTH)</source>
        <translation>認証: スキップ(CLAUDE_CODE_SKIP_VERTEX_AUTH)</translation>
    </message>
    <message>
        <source>Authentication: Google access token from %1</source>
        <translation>認証: %1 の Google アクセストークン</translation>
    </message>
    <message>
        <source>No Google credentials were found in GOOGLE_APPLICATION_CREDENTIALS or gcloud&apos;s files; only the metadata server (on Google Cloud) is left to try. Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS.</source>
        <translation>GOOGLE_APPLICATION_CREDENTIALS と gcloud のファイルのどちらにも Google の認証情報が見つかりませんでした。残る候補はメタデータサーバー(Google Cloud 上)だけです。`gcloud auth application-default login` を実行するか、GOOGLE_APPLICATION_CREDENTIALS を設定してください。</translation>
    </message>
    <message>
        <source>Endpoint: %1 (from %2)</source>
        <translation>エンドポイント: %1(%2 から)</translation>
    </message>
    <message>
        <source>Warning: ANTHROPIC_FOUNDRY_RESOURCE is ignored because ANTHROPIC_FOUNDRY_BASE_URL is set.</source>
        <translation>警告: ANTHROPIC_FOUNDRY_BASE_URL が設定されているため、ANTHROPIC_FOUNDRY_RESOURCE は無視されます。</translation>
    </message>
    <message>
        <source>Tenant: %1; client id: %2</source>
        <translation>テナント: %1、クライアント ID: %2</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>未設定</translation>
    </message>
    <message>
        <source>Authentication: skipped (CLAUDE_CODE_SKIP_FOUNDRY_AUTH)</source>
        <translation>認証: スキップ(CLAUDE_CODE_SKIP_FOUNDRY_AUTH)</translation>
    </message>
    <message>
        <source>Authentication: Foundry API key (x-api-key)</source>
        <translation>認証: Foundry API キー(x-api-key)</translation>
    </message>
    <message>
        <source>Authentication: Microsoft Entra ID token from managed identity (IMDS, on Azure only), else the Azure CLI (az login); scope %1</source>
        <translation>認証: マネージド ID(IMDS、Azure 上のみ)の Microsoft Entra ID トークン、なければ Azure CLI(az login)。スコープ %1</translation>
    </message>
    <message>
        <source>Authentication: Microsoft Entra ID token from %1, scope %2</source>
        <translation>認証: %1 の Microsoft Entra ID トークン、スコープ %2</translation>
    </message>
    <message>
        <source>No Azure credentials were found; only managed identity (on an Azure machine) is left to try. Set ANTHROPIC_FOUNDRY_API_KEY, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or install the Azure CLI and run `az login`.</source>
        <translation>Azure の認証情報が見つかりませんでした。残る候補はマネージド ID(Azure のマシン上)だけです。ANTHROPIC_FOUNDRY_API_KEY、または AZURE_TENANT_ID・AZURE_CLIENT_ID・AZURE_CLIENT_SECRET を設定するか、Azure CLI をインストールして `az login` を実行してください。</translation>
    </message>
</context>
<context>
    <name>qlaude::ProxySettings</name>
    <message>
        <source>none</source>
        <translation>なし</translation>
    </message>
    <message>
        <source>, except %1</source>
        <translation>、ただし %1 を除く</translation>
    </message>
</context>
<context>
    <name>qlaude::RefreshLock</name>
    <message>
        <source>Could not create the lock directory %1.</source>
        <translation>ロック用のフォルダー %1 を作成できませんでした。</translation>
    </message>
    <message>
        <source>No permission to create the refresh lock %1.</source>
        <translation>更新ロック %1 を作成する権限がありません。</translation>
    </message>
    <message>
        <source>Another Qlaude process held the refresh lock for too long.</source>
        <translation>別の Qlaude プロセスが更新ロックを長く保持しすぎました。</translation>
    </message>
    <message>
        <source>The refresh lock %1 could not be taken.</source>
        <translation>更新ロック %1 を取得できませんでした。</translation>
    </message>
</context>
<context>
    <name>qlaude::RequestOptions</name>
    <message>
        <source> (set in %1)</source>
        <translation>(%1 で設定)</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS line %1 has no &apos;:&apos; and was ignored. Write each header as &quot;Name: Value&quot;</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS の %1 行目に「:」がないため、無視されました。各ヘッダーは「Name: Value」の形式で書いてください</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS line %1 was ignored: the header name is not a valid HTTP token. Use only letters, digits and !#$%&amp;&apos;*+-.^_`|~</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS の %1 行目は無視されました: ヘッダー名が有効な HTTP トークンではありません。英字、数字、!#$%&amp;&apos;*+-.^_`|~ だけを使ってください</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS line %1 (%2) was refused: that header controls how the request is framed or where it is routed, so only Qlaude sets it. Remove the line</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS の %1 行目(%2)は拒否されました: このヘッダーはリクエストの構成や転送先を決めるため、Qlaude だけが設定します。この行を削除してください</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS line %1 (%2) was refused: Qlaude sets this header itself. Use QLAUDE_ANTHROPIC_VERSION to change it</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS の %1 行目(%2)は拒否されました: このヘッダーは Qlaude が自身で設定します。変更するには QLAUDE_ANTHROPIC_VERSION を使ってください</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS line %1 (%2) was ignored: its value contains a line break or control character</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS の %1 行目(%2)は無視されました: 値に改行または制御文字が含まれています</translation>
    </message>
    <message>
        <source>A value of ANTHROPIC_BETAS (or of a custom anthropic-beta header) was ignored: a beta name has no spaces, commas or control characters%1.</source>
        <translation>ANTHROPIC_BETAS(またはカスタムの anthropic-beta ヘッダー)の値が無視されました: ベータ名に空白、カンマ、制御文字は含まれません%1。</translation>
    </message>
    <message>
        <source>QLAUDE_ANTHROPIC_VERSION must be a version such as 2023-06-01, without spaces or control characters%1; using %2.</source>
        <translation>QLAUDE_ANTHROPIC_VERSION は 2023-06-01 のような、空白や制御文字を含まないバージョンである必要があります%1。%2 を使います。</translation>
    </message>
    <message>
        <source>%1 must be a positive number of milliseconds; using the default of %2.</source>
        <translation>%1 は正のミリ秒数である必要があります。既定値の %2 を使います。</translation>
    </message>
</context>
<context>
    <name>qlaude::RetryPolicy</name>
    <message>
        <source>The answer had already started, so it is not replayed silently.</source>
        <translation>回答はすでに始まっていたため、自動では再送信しません。</translation>
    </message>
    <message>
        <source>Repeated 529 Overloaded errors.</source>
        <translation>529 Overloaded エラーが繰り返し発生しました。</translation>
    </message>
    <message>
        <source>Gave up after %1 retries.</source>
        <translation>%1 回再試行した後、断念しました。</translation>
    </message>
    <message>
        <source>The API asked to wait %1 s before retrying, longer than the 60 s Qlaude waits.</source>
        <translation>API から再試行の前に %1 秒待つよう求められましたが、Qlaude が待つ 60 秒より長いです。</translation>
    </message>
</context>
<context>
    <name>qlaude::SettingsDialog</name>
    <message>
        <source>%1 cannot be read (%2).</source>
        <translation>%1 を読み取れません(%2)。</translation>
    </message>
    <message>
        <source>Provider Settings</source>
        <translation>プロバイダー設定</translation>
    </message>
    <message>
        <source>Provider settings</source>
        <translation>プロバイダー設定</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>問題</translation>
    </message>
    <message>
        <source>Providers</source>
        <translation>プロバイダー</translation>
    </message>
    <message>
        <source>Where settings are saved</source>
        <translation>設定の保存先</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状態</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>閉じる</translation>
    </message>
    <message>
        <source>Save writes the env block of %1, where Claude Code reads these settings too. Secrets go only to the keychain.</source>
        <translation>[保存] は %1 の env ブロックに書き込みます。Claude Code もここからこれらの設定を読み込みます。シークレットはキーチェーンにのみ保存されます。</translation>
    </message>
    <message>
        <source>Your user settings file cannot be read: %1
Qlaude will not change it until it reads correctly. Fix it in a text editor, then reopen this dialog.</source>
        <translation>ユーザー設定ファイルを読み取れません: %1
正しく読み取れるようになるまで、Qlaude はこのファイルを変更しません。テキストエディターで修正してから、このダイアログを開き直してください。</translation>
    </message>
    <message>
        <source>Fix the fields marked on the %1 page; nothing was saved.</source>
        <translation>%1 ページで印の付いた項目を修正してください。何も保存されていません。</translation>
    </message>
    <message>
        <source>Nothing has changed, so nothing was saved.</source>
        <translation>変更がないため、何も保存されていません。</translation>
    </message>
    <message>
        <source>%1
Nothing was saved, so nothing in the file is lost. Fix it in a text editor, then press Save again.</source>
        <translation>%1
何も保存されていないため、ファイルの内容は失われていません。テキストエディターで修正してから、もう一度 [保存] を押してください。</translation>
    </message>
    <message>
        <source>Nothing was saved.</source>
        <translation>何も保存されていません。</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>保存しています…</translation>
    </message>
    <message>
        <source>%1 was not saved: no keychain is available.</source>
        <translation>%1 は保存されませんでした: キーチェーンを利用できません。</translation>
    </message>
    <message>
        <source>%1 was not saved: the keychain is locked. Unlock it and press Save again.</source>
        <translation>%1 は保存されませんでした: キーチェーンがロックされています。ロックを解除して、もう一度 [保存] を押してください。</translation>
    </message>
    <message>
        <source>%1 was not saved: %2</source>
        <translation>%1 は保存されませんでした: %2</translation>
    </message>
    <message>
        <source>The settings file was not changed.</source>
        <translation>設定ファイルは変更されていません。</translation>
    </message>
    <message>
        <source>Saved in the keychain.</source>
        <translation>キーチェーンに保存しました。</translation>
    </message>
    <message>
        <source>Saved to %1.</source>
        <translation>%1 に保存しました。</translation>
    </message>
    <message>
        <source>Testing %1…</source>
        <translation>%1 をテストしています…</translation>
    </message>
    <message>
        <source>Tested %1.</source>
        <translation>%1 をテストしました。</translation>
    </message>
    <message>
        <source>No settings are loaded, so nothing can be tested.</source>
        <translation>設定が読み込まれていないため、テストできません。</translation>
    </message>
    <message>
        <source>Log in first.</source>
        <translation>先にログインしてください。</translation>
    </message>
    <message>
        <source>Set up AWS credentials (see the lines above).</source>
        <translation>AWS の認証情報を設定してください(上の行を参照)。</translation>
    </message>
    <message>
        <source>Set up Google credentials (see the lines above).</source>
        <translation>Google の認証情報を設定してください(上の行を参照)。</translation>
    </message>
    <message>
        <source>Add an API key or set up Microsoft Entra ID (see the lines above).</source>
        <translation>API キーを追加するか、Microsoft Entra ID を設定してください(上の行を参照)。</translation>
    </message>
    <message>
        <source>No request was sent: there is no usable credential. %1</source>
        <translation>リクエストは送信されていません: 使用できる認証情報がありません。%1</translation>
    </message>
    <message>
        <source>Sending a request to %1…</source>
        <translation>%1 にリクエストを送信しています…</translation>
    </message>
    <message>
        <source>Connected: %1 answered a one-token message from %2 in %3 ms.</source>
        <translation>接続しました: %1 が %2 からの 1 トークンのメッセージに %3 ms で応答しました。</translation>
    </message>
    <message numerus="yes">
        <source>Connected: %1 answered in %2 ms and lists %n model(s).</source>
        <translation>
            <numerusform>接続しました: %1 が %2 ms で応答し、%n 個のモデルを返しました。</numerusform>
        </translation>
    </message>
    <message>
        <source>Provider</source>
        <translation>プロバイダー</translation>
    </message>
    <message>
        <source>Fix the fields marked on the %1 page; nothing was tested.</source>
        <translation>%1 ページで印の付いた項目を修正してください。テストは行われていません。</translation>
    </message>
    <message>
        <source>This tests what is shown here, including changes that are not saved yet.</source>
        <translation>このテストは、まだ保存していない変更を含め、ここに表示されている値を使います。</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>接続</translation>
    </message>
</context>
<context>
    <name>qlaude::SettingsLayers</name>
    <message>
        <source>%1: cannot be read (%2). Check its permissions.</source>
        <translation>%1: 読み取れません(%2)。アクセス権を確認してください。</translation>
    </message>
    <message>
        <source>%1: is not a regular file (it is %2). Qlaude reads settings only from regular files; this one is ignored.</source>
        <translation>%1: 通常のファイルではありません(%2 です)。Qlaude は通常のファイルからのみ設定を読み込むため、このファイルは無視されます。</translation>
    </message>
    <message>
        <source>%1: is larger than 4 MiB (%2 bytes). Qlaude does not read settings files that large; this one is ignored.</source>
        <translation>%1: 4 MiB を超えています(%2 バイト)。Qlaude はこれほど大きな設定ファイルを読み込まないため、このファイルは無視されます。</translation>
    </message>
    <message>
        <source>a FIFO</source>
        <translation>FIFO</translation>
    </message>
    <message>
        <source>a device</source>
        <translation>デバイス</translation>
    </message>
    <message>
        <source>a directory</source>
        <translation>フォルダー</translation>
    </message>
    <message>
        <source>a socket</source>
        <translation>ソケット</translation>
    </message>
    <message>
        <source>a special file</source>
        <translation>特殊ファイル</translation>
    </message>
    <message>
        <source>%1: line %2, column %3: %4. Fix the JSON; this file is ignored until then.</source>
        <translation>%1: %2 行 %3 列: %4。JSON を修正してください。それまでこのファイルは無視されます。</translation>
    </message>
    <message>
        <source>%1: line 1, column 1: the settings must be a JSON object ({ ... }). This file is ignored until then.</source>
        <translation>%1: 1 行 1 列: 設定は JSON オブジェクト({ ... })である必要があります。それまでこのファイルは無視されます。</translation>
    </message>
    <message>
        <source>%1: the file given to --settings does not exist.</source>
        <translation>%1: --settings に指定されたファイルが存在しません。</translation>
    </message>
    <message>
        <source>Ignored the %1 settings: %2</source>
        <translation>%1 設定を無視しました: %2</translation>
    </message>
</context>
<context>
    <name>qlaude::SingleInstance</name>
    <message>
        <source>Qlaude&apos;s runtime folder %1 could not be made private; this window runs on its own.</source>
        <translation>Qlaude のランタイムフォルダー %1 を非公開にできませんでした。このウィンドウは単独で動作します。</translation>
    </message>
    <message>
        <source>Another Qlaude is still starting; this window runs on its own.</source>
        <translation>別の Qlaude がまだ起動中です。このウィンドウは単独で動作します。</translation>
    </message>
    <message>
        <source>Qlaude is already running but did not answer; this window runs on its own.</source>
        <translation>Qlaude はすでに実行中ですが応答しませんでした。このウィンドウは単独で動作します。</translation>
    </message>
    <message>
        <source>Qlaude could not listen on %1 (%2); a later launch opens a window of its own.</source>
        <translation>Qlaude は %1 で待ち受けできませんでした(%2)。後から起動した場合は別のウィンドウが開きます。</translation>
    </message>
    <message>
        <source>The running Qlaude cannot open the workspace %1: it does not exist.</source>
        <translation>実行中の Qlaude はワークスペース %1 を開けません: 存在しません。</translation>
    </message>
</context>
<context>
    <name>qlaude::SseParser</name>
    <message>
        <source>%1 MiB</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1 MiB</translation>
    </message>
    <message>
        <source>%1 KiB</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1 KiB</translation>
    </message>
    <message>
        <source>A server-sent event exceeded the %1 limit; the stream was stopped.</source>
        <translation>サーバー送信イベントが上限の %1 を超えたため、ストリームを停止しました。</translation>
    </message>
</context>
<context>
    <name>qlaude::StatusLine</name>
    <message>
        <source>Status</source>
        <translation>状態</translation>
    </message>
    <message>
        <source>Provider and credential</source>
        <translation>プロバイダーと認証情報</translation>
    </message>
    <message>
        <source>Credential warning</source>
        <translation>認証情報の警告</translation>
    </message>
    <message>
        <source>Last action</source>
        <translation>最後の操作</translation>
    </message>
    <message>
        <source>Token usage</source>
        <translation>トークン使用量</translation>
    </message>
    <message>
        <source>Anthropic API</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Anthropic API</translation>
    </message>
    <message>
        <source>AWS Bedrock</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>AWS Bedrock</translation>
    </message>
    <message>
        <source>Google Vertex AI</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Google Vertex AI</translation>
    </message>
    <message>
        <source>Microsoft Foundry</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Microsoft Foundry</translation>
    </message>
    <message>
        <source>%1 at %2</source>
        <translation>%2 の %1</translation>
    </message>
    <message>
        <source>Keychain locked</source>
        <translation>キーチェーンがロック中</translation>
    </message>
    <message>
        <source>Not logged in</source>
        <translation>未ログイン</translation>
    </message>
    <message>
        <source>AWS keys from the environment</source>
        <translation>環境変数の AWS キー</translation>
    </message>
    <message>
        <source>AWS credentials from %1</source>
        <translation>%1 の AWS 認証情報</translation>
    </message>
    <message>
        <source>Google %1 key %2</source>
        <translation>Google の %1 キー %2</translation>
    </message>
    <message>
        <source>Google credentials from gcloud</source>
        <translation>gcloud の Google 認証情報</translation>
    </message>
    <message>
        <source>Google credentials from the %1</source>
        <translation>Google 認証情報(%1)</translation>
    </message>
    <message>
        <source>Entra ID from %1</source>
        <translation>%1 の Entra ID</translation>
    </message>
    <message>
        <source>No authentication sent (%1)</source>
        <translation>認証情報の送信なし(%1)</translation>
    </message>
    <message>
        <source>Bedrock API key from keychain</source>
        <translation>キーチェーンの Bedrock API キー</translation>
    </message>
    <message>
        <source>Foundry API key from keychain</source>
        <translation>キーチェーンの Foundry API キー</translation>
    </message>
    <message>
        <source>%1 from the environment</source>
        <translation>環境変数の %1</translation>
    </message>
    <message>
        <source>%1 from %2</source>
        <translation>%2 の %1</translation>
    </message>
    <message>
        <source>Key from apiKeyHelper</source>
        <translation>apiKeyHelper のキー</translation>
    </message>
    <message>
        <source>API key from keychain</source>
        <translation>キーチェーンの API キー</translation>
    </message>
    <message>
        <source>Bearer token from keychain</source>
        <translation>キーチェーンの Bearer トークン</translation>
    </message>
    <message>
        <source>SSO token from keychain</source>
        <translation>キーチェーンの SSO トークン</translation>
    </message>
    <message>
        <source>Claude.ai login from keychain</source>
        <translation>キーチェーンの Claude.ai ログイン</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>overrides your stored Claude.ai login</source>
        <translation>保存済みの Claude.ai ログインより優先されます</translation>
    </message>
    <message>
        <source>overrides the API key stored in your keychain</source>
        <translation>キーチェーンに保存された API キーより優先されます</translation>
    </message>
    <message>
        <source>No tokens used yet</source>
        <translation>まだトークンは使用されていません</translation>
    </message>
    <message>
        <source>Last turn %1 in · %2 out · %3 cache read    Conversation %4 in · %5 out · %6 cache read</source>
        <translation>直近のやり取り 入力 %1 · 出力 %2 · キャッシュ読込 %3    会話全体 入力 %4 · 出力 %5 · キャッシュ読込 %6</translation>
    </message>
    <message>
        <source>Input tokens count the whole prompt of each turn. Cache writes: %1 last turn, %2 in the conversation.</source>
        <translation>入力トークンには各やり取りのプロンプト全体が含まれます。キャッシュ書き込み: 直近のやり取りで %1、会話全体で %2。</translation>
    </message>
</context>
<context>
    <name>qlaude::SubscriptionLogin</name>
    <message>
        <source>Signing in with a Claude account is not available in this build; use an API key, a gateway token or a cloud provider.</source>
        <translation>このビルドでは Claude アカウントでのサインインは利用できません。API キー、ゲートウェイのトークン、またはクラウドプロバイダーを使ってください。</translation>
    </message>
    <message>
        <source>More…</source>
        <translation>詳細…</translation>
    </message>
    <message>
        <source>Sign in with your organization…</source>
        <translation>組織のアカウントでサインイン…</translation>
    </message>
    <message>
        <source>Sign in with your Claude account…</source>
        <translation>Claude アカウントでサインイン…</translation>
    </message>
    <message>
        <source>Sign in in an embedded browser</source>
        <translation>埋め込みブラウザーでサインイン</translation>
    </message>
    <message>
        <source>Or &lt;a href=&quot;system&quot;&gt;use your web browser&lt;/a&gt;, or &lt;a href=&quot;manual&quot;&gt;paste a code&lt;/a&gt;.</source>
        <translation>または、&lt;a href=&quot;system&quot;&gt;Web ブラウザーを使う&lt;/a&gt;か、&lt;a href=&quot;manual&quot;&gt;コードを貼り付けて&lt;/a&gt;ください。</translation>
    </message>
    <message>
        <source>Preparing the sign-in…</source>
        <translation>サインインを準備しています…</translation>
    </message>
    <message>
        <source>Finishing the sign-in…</source>
        <translation>サインインを完了しています…</translation>
    </message>
    <message>
        <source>Finish signing in in your web browser; this window continues by itself.</source>
        <translation>Web ブラウザーでサインインを完了してください。このウィンドウは自動的に続行します。</translation>
    </message>
    <message>
        <source>Paste the code</source>
        <translation>コードを貼り付け</translation>
    </message>
    <message>
        <source>The sign-in address was copied to the clipboard. Open it in any browser, sign in, and paste the code shown at the end (code#state):</source>
        <translation>サインイン用のアドレスをクリップボードにコピーしました。任意のブラウザーで開いてサインインし、最後に表示されるコード(code#state)を貼り付けてください:</translation>
    </message>
    <message>
        <source>That code was not accepted. Copy the whole code, including the part after #, and try again.</source>
        <translation>このコードは受け付けられませんでした。# 以降も含めてコード全体をコピーし、もう一度お試しください。</translation>
    </message>
    <message>
        <source>Waiting for you to finish signing in…</source>
        <translation>サインインの完了を待っています…</translation>
    </message>
    <message>
        <source>Signed in.</source>
        <translation>サインインしました。</translation>
    </message>
</context>
<context>
    <name>qlaude::SystemBrowser</name>
    <message>
        <source>No browser could be started: xdg-open is not installed and BROWSER is not set.</source>
        <translation>ブラウザーを起動できませんでした: xdg-open がインストールされておらず、BROWSER も設定されていません。</translation>
    </message>
    <message>
        <source>No browser could be started from BROWSER or xdg-open.</source>
        <translation>BROWSER と xdg-open のどちらからもブラウザーを起動できませんでした。</translation>
    </message>
</context>
<context>
    <name>qlaude::TokenHttp</name>
    <message>
        <source>%1 KiB</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1 KiB</translation>
    </message>
    <message>
        <source>%1 bytes</source>
        <translation>%1 バイト</translation>
    </message>
    <message>
        <source>%1 did not answer within %2 s</source>
        <translation>%1 が %2 秒以内に応答しませんでした</translation>
    </message>
    <message>
        <source>the answer from %1 is longer than %2 and was cut off</source>
        <translation>%1 からの応答が %2 を超えたため、切り捨てられました</translation>
    </message>
    <message>
        <source>could not reach %1: %2</source>
        <translation>%1 に接続できませんでした: %2</translation>
    </message>
    <message>
        <source>%1 answered with a redirect (HTTP %2%3); token requests never follow redirects</source>
        <translation>%1 がリダイレクト(HTTP %2%3)で応答しました。トークンのリクエストはリダイレクトに従いません</translation>
    </message>
    <message>
        <source> to %1</source>
        <translation> %1 へ</translation>
    </message>
    <message>
        <source>the connection to %1 broke: %2</source>
        <translation>%1 との接続が切断されました: %2</translation>
    </message>
    <message>
        <source>%1 answered HTTP %2%3</source>
        <translation>%1 が HTTP %2%3 を返しました</translation>
    </message>
    <message>
        <source>(no host)</source>
        <translation>(ホストなし)</translation>
    </message>
    <message>
        <source>the proxy asked for credentials and proxyAuthHelper failed: %1</source>
        <translation>プロキシが認証情報を要求しましたが、proxyAuthHelper が失敗しました: %1</translation>
    </message>
    <message>
        <source>could not reach %1: only http and https URLs are allowed</source>
        <translation>%1 に接続できませんでした: http と https の URL のみ使用できます</translation>
    </message>
</context>
<context>
    <name>qlaude::Translations</name>
    <message>
        <source>Qlaude has no texts in the language &quot;%1&quot;. Use --lang with one of: %2.</source>
        <translation>Qlaude には言語「%1」のテキストがありません。--lang には次のいずれかを指定してください: %2。</translation>
    </message>
</context>
<context>
    <name>qlaude::TrustDialog</name>
    <message>
        <source>Trust this folder?</source>
        <translation>このフォルダーを信頼しますか?</translation>
    </message>
    <message>
        <source>Workspace trust</source>
        <translation>ワークスペースの信頼</translation>
    </message>
    <message>
        <source>Do you trust the settings in this folder?</source>
        <translation>このフォルダーの設定を信頼しますか?</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>質問</translation>
    </message>
    <message>
        <source>Explanation</source>
        <translation>説明</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>フォルダー</translation>
    </message>
    <message>
        <source>Home folder note</source>
        <translation>ホームフォルダーに関する注意</translation>
    </message>
    <message>
        <source>This is your home folder. If you trust it, the trust lasts for this run only; Qlaude asks again the next time it starts here.</source>
        <translation>これはホームフォルダーです。信頼しても今回の実行中のみ有効で、次回ここで起動したときに Qlaude は再度確認します。</translation>
    </message>
    <message numerus="yes">
        <source>%n other setting(s) from this folder were approved before and have not changed.</source>
        <translation>
            <numerusform>このフォルダーのほかの %n 個の設定は以前に承認済みで、変更されていません。</numerusform>
        </translation>
    </message>
    <message>
        <source>Never trust a workspace from an untrusted source, as it could use these helpers to exfiltrate your API keys or run malicious commands on your behalf.</source>
        <translation>信頼できない入手元のワークスペースは決して信頼しないでください。これらのヘルパーを使って API キーを盗み出したり、あなたに代わって悪意のあるコマンドを実行したりする可能性があります。</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>If you choose Don&apos;t trust, Qlaude goes on without these settings and does not ask again until they change. File &gt; Trust This Folder asks again.</source>
        <translation>[信頼しない] を選ぶと、Qlaude はこれらの設定を使わずに続行し、設定が変わるまで再度確認しません。[ファイル] &gt; [このフォルダーを信頼] でもう一度確認できます。</translation>
    </message>
    <message>
        <source>What Don&apos;t trust does</source>
        <translation>[信頼しない] の動作</translation>
    </message>
    <message>
        <source>&amp;Trust this folder</source>
        <translation>このフォルダーを信頼(&amp;T)</translation>
    </message>
    <message>
        <source>Trust this folder</source>
        <translation>このフォルダーを信頼</translation>
    </message>
    <message>
        <source>&amp;Don&apos;t trust</source>
        <translation>信頼しない(&amp;D)</translation>
    </message>
    <message>
        <source>Don&apos;t trust</source>
        <translation>信頼しない</translation>
    </message>
    <message>
        <source>A file that a command in this folder&apos;s settings runs changed since you trusted the folder. The command will not run until you approve it again. The changed files are named below.</source>
        <translation>このフォルダーの設定にあるコマンドが実行するファイルが、フォルダーを信頼した後に変更されました。再度承認するまで、そのコマンドは実行されません。変更されたファイルは下に表示されています。</translation>
    </message>
    <message>
        <source>A command in this folder&apos;s settings changed since you trusted the folder. It will not run until you approve the new command. Compare the two below.</source>
        <translation>このフォルダーの設定にあるコマンドが、フォルダーを信頼した後に変更されました。新しいコマンドを承認するまで実行されません。下で 2 つを比較してください。</translation>
    </message>
    <message>
        <source>Settings in this folder would run the commands below on your computer, or change where Qlaude sends your credentials. They take effect only if you trust the folder.</source>
        <translation>このフォルダーの設定は、下のコマンドをコンピューター上で実行したり、Qlaude が認証情報を送る先を変更したりします。フォルダーを信頼した場合にのみ有効になります。</translation>
    </message>
    <message>
        <source>%1 runs this command</source>
        <translation>%1 はこのコマンドを実行します</translation>
    </message>
    <message>
        <source>%1 sets this environment variable</source>
        <translation>%1 はこの環境変数を設定します</translation>
    </message>
    <message>
        <source>%1 changed since you approved it</source>
        <translation>%1 は承認後に変更されました</translation>
    </message>
    <message>
        <source>A file that %1 runs changed since you approved it</source>
        <translation>%1 が実行するファイルが承認後に変更されました</translation>
    </message>
    <message>
        <source>From %1</source>
        <translation>%1 から</translation>
    </message>
    <message>
        <source>Settings file</source>
        <translation>設定ファイル</translation>
    </message>
    <message>
        <source>Approved before:</source>
        <translation>以前に承認したもの:</translation>
    </message>
    <message>
        <source>%1, command approved before</source>
        <translation>%1、以前に承認したコマンド</translation>
    </message>
    <message>
        <source>Now:</source>
        <translation>現在:</translation>
    </message>
    <message>
        <source>Changed: %1</source>
        <translation>変更: %1</translation>
    </message>
    <message>
        <source>Changed files</source>
        <translation>変更されたファイル</translation>
    </message>
    <message>
        <source>%1, command</source>
        <translation>%1、コマンド</translation>
    </message>
    <message>
        <source>%1, value</source>
        <translation>%1、値</translation>
    </message>
</context>
<context>
    <name>qlaude::TrustStore</name>
    <message>
        <source>Cannot write the trust decisions to %1 (%2).</source>
        <translation>信頼の決定を %1 に書き込めません(%2)。</translation>
    </message>
    <message>
        <source>Cannot save the trust decisions to %1 (%2).</source>
        <translation>信頼の決定を %1 に保存できません(%2)。</translation>
    </message>
    <message>
        <source>This folder is trusted; its settings run no commands.</source>
        <translation>このフォルダーは信頼されています。その設定はコマンドを実行しません。</translation>
    </message>
    <message>
        <source>This folder&apos;s settings run no commands, so no trust is needed.</source>
        <translation>このフォルダーの設定はコマンドを実行しないため、信頼は不要です。</translation>
    </message>
    <message>
        <source>You chose not to trust this folder: its settings&apos; commands and variables are ignored. To change that, use File &gt; Trust This Folder, or qlaude --trust.</source>
        <translation>このフォルダーを信頼しないことを選択しました。その設定のコマンドと変数は無視されます。変更するには、[ファイル] &gt; [このフォルダーを信頼] または qlaude --trust を使ってください。</translation>
    </message>
    <message>
        <source>This folder is trusted (decision for %1); its commands were approved exactly as they are now.</source>
        <translation>このフォルダーは信頼されています(%1 に対する決定)。そのコマンドは現在の内容のまま承認されています。</translation>
    </message>
    <message>
        <source>A file that a command in this folder&apos;s settings runs changed since it was approved (%1). The command will not run until you trust the folder again (qlaude --trust).</source>
        <translation>このフォルダーの設定にあるコマンドが実行するファイルが、承認後に変更されました(%1)。フォルダーをもう一度信頼するまで(qlaude --trust)、そのコマンドは実行されません。</translation>
    </message>
    <message>
        <source>A command in this folder&apos;s settings changed since it was approved. It will not run until you trust the folder again (qlaude --trust).</source>
        <translation>このフォルダーの設定にあるコマンドが、承認後に変更されました。フォルダーをもう一度信頼するまで(qlaude --trust)、そのコマンドは実行されません。</translation>
    </message>
    <message>
        <source>The folder is trusted through %1, but these settings were never approved. They will not run until you trust this folder (qlaude --trust).</source>
        <translation>このフォルダーは %1 を通じて信頼されていますが、これらの設定は承認されていません。このフォルダーを信頼するまで(qlaude --trust)、これらは実行されません。</translation>
    </message>
    <message>
        <source>This folder is not trusted. Its settings would run commands or change where your credentials go; they are ignored until you trust the folder (qlaude --trust).</source>
        <translation>このフォルダーは信頼されていません。その設定はコマンドを実行したり、認証情報の送信先を変更したりします。フォルダーを信頼するまで(qlaude --trust)、これらは無視されます。</translation>
    </message>
</context>
<context>
    <name>qlaude::VertexClient</name>
    <message>
        <source>Google Vertex AI has no model list in the Messages API</source>
        <translation>Google Vertex AI の Messages API にはモデル一覧がありません</translation>
    </message>
    <message>
        <source>No Vertex AI model id is set (ANTHROPIC_MODEL)</source>
        <translation>Vertex AI のモデル ID が設定されていません(ANTHROPIC_MODEL)</translation>
    </message>
    <message>
        <source>No Google access token is available</source>
        <translation>利用できる Google アクセストークンがありません</translation>
    </message>
    <message>
        <source>Check the Google credentials shown by qlaude --doctor (for example run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS).</source>
        <translation>qlaude --doctor に表示される Google の認証情報を確認してください(例: `gcloud auth application-default login` を実行する、または GOOGLE_APPLICATION_CREDENTIALS を設定する)。</translation>
    </message>
    <message>
        <source>No Google Cloud project is set for Vertex AI%1</source>
        <translation>Vertex AI 用の Google Cloud プロジェクトが設定されていません%1</translation>
    </message>
    <message>
        <source>Set ANTHROPIC_VERTEX_PROJECT_ID (or GOOGLE_CLOUD_PROJECT) to your project id.</source>
        <translation>ANTHROPIC_VERTEX_PROJECT_ID(または GOOGLE_CLOUD_PROJECT)にプロジェクト ID を設定してください。</translation>
    </message>
    <message>
        <source>Running gcpAuthRefresh…</source>
        <translation>gcpAuthRefresh を実行しています…</translation>
    </message>
    <message>
        <source>your project</source>
        <translation>お使いのプロジェクト</translation>
    </message>
    <message>
        <source>project %1</source>
        <translation>プロジェクト %1</translation>
    </message>
    <message>
        <source>The Google credentials from %1 were rejected or have expired. Run `gcloud auth application-default login` (or your gcpAuthRefresh), then try again.</source>
        <translation>%1 の Google 認証情報が拒否されたか、期限切れです。`gcloud auth application-default login`(または設定済みの gcpAuthRefresh)を実行してから、もう一度お試しください。</translation>
    </message>
    <message>
        <source>Application Default Credentials</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Application Default Credentials</translation>
    </message>
    <message>
        <source>The Vertex AI quota for %1 in %2 is used up. Wait a moment, or request a higher quota in the Google Cloud console.</source>
        <translation>%2 における %1 の Vertex AI クォータを使い切りました。しばらく待つか、Google Cloud コンソールでクォータの引き上げを申請してください。</translation>
    </message>
    <message>
        <source>The Vertex AI API is not enabled in %1. Enable aiplatform.googleapis.com in the Google Cloud console.</source>
        <translation>%1 で Vertex AI API が有効になっていません。Google Cloud コンソールで aiplatform.googleapis.com を有効にしてください。</translation>
    </message>
    <message>
        <source>Model %1 is not available in %2 for %3. Enable it in Model Garden, or choose another region with CLOUD_ML_REGION or %4.</source>
        <translation>モデル %1 は、%3 のリージョン %2 では利用できません。Model Garden で有効にするか、CLOUD_ML_REGION または %4 で別のリージョンを選んでください。</translation>
    </message>
    <message>
        <source>a VERTEX_REGION_CLAUDE_* variable</source>
        <translation>VERTEX_REGION_CLAUDE_* 変数</translation>
    </message>
    <message>
        <source>Your Google identity may not call Vertex AI in %1: it needs the Vertex AI User role (aiplatform.endpoints.predict).</source>
        <translation>この Google ID には %1 で Vertex AI を呼び出す権限がありません。Vertex AI ユーザーのロール(aiplatform.endpoints.predict)が必要です。</translation>
    </message>
</context>
<context>
    <name>qlaude::VertexConfig</name>
    <message>
        <source>default; set CLOUD_ML_REGION to change it</source>
        <translation>既定値。変更するには CLOUD_ML_REGION を設定してください</translation>
    </message>
    <message>
        <source>The Vertex AI region &quot;%1&quot; (%2) is not a region name such as us-east5 or global</source>
        <translation>Vertex AI のリージョン「%1」(%2)は、us-east5 や global のようなリージョン名ではありません</translation>
    </message>
    <message>
        <source>No Google Cloud project is set for Vertex AI. Set ANTHROPIC_VERTEX_PROJECT_ID (or GOOGLE_CLOUD_PROJECT) to your project id</source>
        <translation>Vertex AI 用の Google Cloud プロジェクトが設定されていません。ANTHROPIC_VERTEX_PROJECT_ID(または GOOGLE_CLOUD_PROJECT)にプロジェクト ID を設定してください</translation>
    </message>
    <message>
        <source>ANTHROPIC_VERTEX_BASE_URL is not an http(s) URL</source>
        <translation>ANTHROPIC_VERTEX_BASE_URL は http(s)の URL ではありません</translation>
    </message>
</context>
</TS>
