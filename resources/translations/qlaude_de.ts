<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>DialogSupport</name>
    <message>
        <source>Show</source>
        <translation>Anzeigen</translation>
    </message>
    <message>
        <source>Show the text</source>
        <translation>Text anzeigen</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>Verbergen</translation>
    </message>
    <message>
        <source>Hide the text</source>
        <translation>Text verbergen</translation>
    </message>
</context>
<context>
    <name>MessageLayoutBuilder</name>
    <message>
        <source>Waiting for the answer…</source>
        <translation>Warten auf die Antwort…</translation>
    </message>
    <message>
        <source>Stopped. You ended this answer early; the text above is partial.</source>
        <translation>Gestoppt. Sie haben diese Antwort vorzeitig beendet; der Text oben ist unvollständig.</translation>
    </message>
    <message>
        <source>Interrupted. Qlaude closed before this answer finished; the text above is partial.</source>
        <translation>Unterbrochen. Qlaude wurde beendet, bevor diese Antwort fertig war; der Text oben ist unvollständig.</translation>
    </message>
    <message>
        <source>This answer failed.</source>
        <translation>Diese Antwort ist fehlgeschlagen.</translation>
    </message>
    <message>
        <source>This answer failed: %1</source>
        <translation>Diese Antwort ist fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Thought process</source>
        <translation>Denkprozess</translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>Denkt nach…</translation>
    </message>
    <message>
        <source>Preparing the input…</source>
        <translation>Eingabe wird vorbereitet…</translation>
    </message>
    <message>
        <source>Tool use</source>
        <translation>Werkzeugaufruf</translation>
    </message>
    <message>
        <source>Tool result</source>
        <translation>Werkzeugergebnis</translation>
    </message>
    <message>
        <source>reported an error</source>
        <translation>hat einen Fehler gemeldet</translation>
    </message>
    <message>
        <source>Part of Claude&apos;s reasoning was encrypted by the provider and is not shown. It is kept and sent back unchanged.</source>
        <translation>Ein Teil von Claudes Gedankengang wurde vom Anbieter verschlüsselt und wird nicht angezeigt. Er bleibt erhalten und wird unverändert zurückgesendet.</translation>
    </message>
    <message>
        <source>This answer contains a kind of content Qlaude cannot show yet.</source>
        <translation>Diese Antwort enthält eine Art von Inhalt, die Qlaude noch nicht anzeigen kann.</translation>
    </message>
</context>
<context>
    <name>MessageModel</name>
    <message>
        <source>You</source>
        <translation>Sie</translation>
    </message>
    <message>
        <source>Claude</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Claude</translation>
    </message>
    <message>
        <source> (stopped)</source>
        <translation> (gestoppt)</translation>
    </message>
    <message>
        <source> (interrupted)</source>
        <translation> (unterbrochen)</translation>
    </message>
    <message>
        <source> (error: %1)</source>
        <translation> (Fehler: %1)</translation>
    </message>
    <message>
        <source> (writing)</source>
        <translation> (schreibt)</translation>
    </message>
    <message>
        <source> (version %1 of %2)</source>
        <translation> (Version %1 von %2)</translation>
    </message>
</context>
<context>
    <name>ProviderCheck</name>
    <message>
        <source>Credential: %1 (%2</source>
        <translation>Anmeldedaten: %1 (%2</translation>
    </message>
    <message>
        <source>Requests: %1 (%2), timeout %3 ms</source>
        <translation>Anfragen: %1 (%2), Zeitlimit %3 ms</translation>
    </message>
    <message>
        <source>%1 is selected, so requests do not go to the Anthropic API. Choose Anthropic on the Provider page to use it, then test again.</source>
        <translation>%1 ist ausgewählt, daher gehen Anfragen nicht an die Anthropic API. Wählen Sie auf der Seite „Anbieter“ Anthropic, um sie zu verwenden, und testen Sie dann erneut.</translation>
    </message>
    <message>
        <source>%1 is not selected; %2 is. Choose %1 on the Provider page, then test again.</source>
        <translation>%1 ist nicht ausgewählt, sondern %2. Wählen Sie %1 auf der Seite „Anbieter“ und testen Sie dann erneut.</translation>
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
        <translation>Anfragen an die Anthropic-API oder an ein vorgeschaltetes Gateway.</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>Basis-URL</translation>
    </message>
    <message>
        <source>Where requests go. Change it only for a gateway or proxy.</source>
        <translation>Wohin Anfragen gehen. Ändern Sie dies nur für ein Gateway oder einen Proxy.</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>The model for new chats, for example claude-sonnet-4-5, or an alias.</source>
        <translation>Das Modell für neue Chats, zum Beispiel claude-sonnet-4-5, oder ein Alias.</translation>
    </message>
    <message>
        <source>Qlaude&apos;s default model</source>
        <translation>Standardmodell von Qlaude</translation>
    </message>
    <message>
        <source>Custom headers</source>
        <translation>Eigene Header</translation>
    </message>
    <message>
        <source>One &quot;Name: Value&quot; per line, sent with every request.</source>
        <translation>Ein „Name: Wert“ pro Zeile, mit jeder Anfrage gesendet.</translation>
    </message>
    <message>
        <source>Timeout (ms)</source>
        <translation>Zeitlimit (ms)</translation>
    </message>
    <message>
        <source>How long one attempt may take, in milliseconds.</source>
        <translation>Wie lange ein Versuch dauern darf, in Millisekunden.</translation>
    </message>
    <message>
        <source>Beta features</source>
        <translation>Beta-Funktionen</translation>
    </message>
    <message>
        <source>Comma-separated anthropic-beta values to send.</source>
        <translation>Zu sendende anthropic-beta-Werte, durch Kommas getrennt.</translation>
    </message>
    <message>
        <source>Additional protection</source>
        <translation>Zusätzlicher Schutz</translation>
    </message>
    <message>
        <source>Sends x-anthropic-additional-protection: true with every request.</source>
        <translation>Sendet x-anthropic-additional-protection: true mit jeder Anfrage.</translation>
    </message>
    <message>
        <source>AWS Bedrock</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>AWS Bedrock</translation>
    </message>
    <message>
        <source>Claude through Amazon Bedrock, with your AWS credentials.</source>
        <translation>Claude über Amazon Bedrock, mit Ihren AWS-Anmeldedaten.</translation>
    </message>
    <message>
        <source>Region</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Region</translation>
    </message>
    <message>
        <source>The AWS region that serves the model.</source>
        <translation>Die AWS-Region, die das Modell bereitstellt.</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>Profil</translation>
    </message>
    <message>
        <source>A profile from ~/.aws/config and ~/.aws/credentials.</source>
        <translation>Ein Profil aus ~/.aws/config und ~/.aws/credentials.</translation>
    </message>
    <message>
        <source>Endpoint URL</source>
        <translation>Endpunkt-URL</translation>
    </message>
    <message>
        <source>Only for a proxy or a private endpoint.</source>
        <translation>Nur für einen Proxy oder einen privaten Endpunkt.</translation>
    </message>
    <message>
        <source>the region&apos;s Bedrock endpoint</source>
        <translation>der Bedrock-Endpunkt der Region</translation>
    </message>
    <message>
        <source>The model for new chats: a Bedrock model or inference profile id. Shared with the other pages&apos; Model field.</source>
        <translation>Das Modell für neue Chats: eine Bedrock-Modell- oder Inferenzprofil-ID. Gemeinsam mit dem Feld „Modell“ der anderen Seiten.</translation>
    </message>
    <message>
        <source>Skip AWS authentication</source>
        <translation>AWS-Authentifizierung überspringen</translation>
    </message>
    <message>
        <source>Send requests unsigned, for a proxy that signs them itself.</source>
        <translation>Anfragen unsigniert senden, für einen Proxy, der sie selbst signiert.</translation>
    </message>
    <message>
        <source>Bedrock API key</source>
        <translation>Bedrock-API-Schlüssel</translation>
    </message>
    <message>
        <source>A Bedrock API key, used instead of AWS credentials. Kept in the keychain.</source>
        <translation>Ein Bedrock-API-Schlüssel, der statt der AWS-Anmeldedaten verwendet wird. Wird im Schlüsselbund aufbewahrt.</translation>
    </message>
    <message>
        <source>Google Vertex AI</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Google Vertex AI</translation>
    </message>
    <message>
        <source>Claude through Google Cloud Vertex AI, with Application Default Credentials.</source>
        <translation>Claude über Google Cloud Vertex AI, mit Application Default Credentials.</translation>
    </message>
    <message>
        <source>Project ID</source>
        <translation>Projekt-ID</translation>
    </message>
    <message>
        <source>The Google Cloud project that has Claude enabled. When empty, GOOGLE_CLOUD_PROJECT, the credentials file or gcloud&apos;s configuration names it.</source>
        <translation>Das Google-Cloud-Projekt, in dem Claude aktiviert ist. Wenn leer, wird es durch GOOGLE_CLOUD_PROJECT, die Anmeldedatendatei oder die Konfiguration von gcloud bestimmt.</translation>
    </message>
    <message>
        <source>The Vertex AI region, or &quot;global&quot;. VERTEX_REGION_CLAUDE_* variables override it per model family.</source>
        <translation>Die Vertex-AI-Region oder „global“. VERTEX_REGION_CLAUDE_*-Variablen überschreiben sie je Modellfamilie.</translation>
    </message>
    <message>
        <source>Credentials file</source>
        <translation>Anmeldedatendatei</translation>
    </message>
    <message>
        <source>A service-account key or other credentials JSON file. When empty, the file `gcloud auth application-default login` writes is used, then the metadata server.</source>
        <translation>Ein Dienstkontoschlüssel oder eine andere JSON-Datei mit Anmeldedaten. Wenn leer, wird die Datei verwendet, die `gcloud auth application-default login` schreibt, danach der Metadatenserver.</translation>
    </message>
    <message>
        <source>the region&apos;s Vertex AI endpoint</source>
        <translation>der Vertex-AI-Endpunkt der Region</translation>
    </message>
    <message>
        <source>The model for new chats, as Vertex AI names it. Shared with the other pages&apos; Model field.</source>
        <translation>Das Modell für neue Chats, wie Vertex AI es benennt. Gemeinsam mit dem Feld „Modell“ der anderen Seiten.</translation>
    </message>
    <message>
        <source>Skip Google authentication</source>
        <translation>Google-Authentifizierung überspringen</translation>
    </message>
    <message>
        <source>Send requests without a Google token, for a proxy that adds it.</source>
        <translation>Anfragen ohne Google-Token senden, für einen Proxy, der es hinzufügt.</translation>
    </message>
    <message>
        <source>Microsoft Foundry</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Microsoft Foundry</translation>
    </message>
    <message>
        <source>Claude through Microsoft Foundry, with an API key or Microsoft Entra ID.</source>
        <translation>Claude über Microsoft Foundry, mit einem API-Schlüssel oder Microsoft Entra ID.</translation>
    </message>
    <message>
        <source>Resource name</source>
        <translation>Ressourcenname</translation>
    </message>
    <message>
        <source>Requests go to https://&lt;resource&gt;.services.ai.azure.com/anthropic.</source>
        <translation>Anfragen gehen an https://&lt;resource&gt;.services.ai.azure.com/anthropic.</translation>
    </message>
    <message>
        <source>Use it instead of the resource name for another endpoint; when both are set, this one wins.</source>
        <translation>Verwenden Sie dies statt des Ressourcennamens für einen anderen Endpunkt; wenn beides festgelegt ist, hat dieser Wert Vorrang.</translation>
    </message>
    <message>
        <source>The model for new chats: your deployment&apos;s name. Shared with the other pages&apos; Model field.</source>
        <translation>Das Modell für neue Chats: der Name Ihrer Bereitstellung. Gemeinsam mit dem Feld „Modell“ der anderen Seiten.</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API-Schlüssel</translation>
    </message>
    <message>
        <source>The resource&apos;s key, sent as x-api-key instead of Microsoft Entra ID sign-in. Kept in the keychain.</source>
        <translation>Der Schlüssel der Ressource, als x-api-key statt der Anmeldung mit Microsoft Entra ID gesendet. Wird im Schlüsselbund aufbewahrt.</translation>
    </message>
    <message>
        <source>Tenant ID</source>
        <translation>Mandanten-ID</translation>
    </message>
    <message>
        <source>For Entra ID sign-in with an app registration (a service principal).</source>
        <translation>Für die Anmeldung mit Entra ID über eine App-Registrierung (einen Dienstprinzipal).</translation>
    </message>
    <message>
        <source>Client ID</source>
        <translation>Client-ID</translation>
    </message>
    <message>
        <source>The app registration&apos;s application (client) ID.</source>
        <translation>Die Anwendungs-ID (Client-ID) der App-Registrierung.</translation>
    </message>
    <message>
        <source>Client secret</source>
        <translation>Geheimer Clientschlüssel</translation>
    </message>
    <message>
        <source>The app registration&apos;s secret. Kept in the keychain. Without one, Qlaude uses workload or managed identity, then `az login`.</source>
        <translation>Der geheime Schlüssel der App-Registrierung. Wird im Schlüsselbund aufbewahrt. Ohne ihn verwendet Qlaude die Workload- oder verwaltete Identität, dann `az login`.</translation>
    </message>
    <message>
        <source>Skip Azure authentication</source>
        <translation>Azure-Authentifizierung überspringen</translation>
    </message>
    <message>
        <source>Send requests without Azure credentials, for a proxy that adds them.</source>
        <translation>Anfragen ohne Azure-Anmeldedaten senden, für einen Proxy, der sie hinzufügt.</translation>
    </message>
    <message>
        <source>Network</source>
        <translation>Netzwerk</translation>
    </message>
    <message>
        <source>How every provider, sign-in and token request reaches the network: a proxy, your company&apos;s CA certificates and a client certificate. The same variables as the Claude Code CLI.</source>
        <translation>Wie jede Anbieter-, Anmelde- und Token-Anfrage das Netzwerk erreicht: ein Proxy, die CA-Zertifikate Ihres Unternehmens und ein Client-Zertifikat. Dieselben Variablen wie bei der Claude Code CLI.</translation>
    </message>
    <message>
        <source>Proxy</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Proxy</translation>
    </message>
    <message>
        <source>An http:// proxy for every request, with user@ when it asks for a name. Leave the password out: it would be saved in plaintext. Use proxyAuthHelper, or HTTPS_PROXY in the environment, instead.</source>
        <translation>Ein http://-Proxy für jede Anfrage, mit user@, wenn er einen Namen verlangt. Lassen Sie das Passwort weg: Es würde im Klartext gespeichert. Verwenden Sie stattdessen proxyAuthHelper oder HTTPS_PROXY in der Umgebung.</translation>
    </message>
    <message>
        <source>No proxy for</source>
        <translation>Kein Proxy für</translation>
    </message>
    <message>
        <source>Hosts that go direct: example.com, .example.com (with its subdomains), 10.0.0.0/8, or * for all.</source>
        <translation>Hosts, die direkt erreicht werden: example.com, .example.com (mit seinen Subdomains), 10.0.0.0/8 oder * für alle.</translation>
    </message>
    <message>
        <source>Extra CA certificates</source>
        <translation>Zusätzliche CA-Zertifikate</translation>
    </message>
    <message>
        <source>A PEM file with your company&apos;s CA certificates, trusted in addition to the system&apos;s. Needed behind a proxy that inspects TLS.</source>
        <translation>Eine PEM-Datei mit den CA-Zertifikaten Ihres Unternehmens, denen zusätzlich zu denen des Systems vertraut wird. Nötig hinter einem Proxy, der TLS untersucht.</translation>
    </message>
    <message>
        <source>Client certificate</source>
        <translation>Client-Zertifikat</translation>
    </message>
    <message>
        <source>A PEM file, for a gateway that requires mutual TLS. Sent to the API and to token servers.</source>
        <translation>Eine PEM-Datei, für ein Gateway, das gegenseitiges TLS verlangt. Wird an die API und an Token-Server gesendet.</translation>
    </message>
    <message>
        <source>Client key</source>
        <translation>Client-Schlüssel</translation>
    </message>
    <message>
        <source>The certificate&apos;s private key, a PEM file.</source>
        <translation>Der private Schlüssel des Zertifikats, eine PEM-Datei.</translation>
    </message>
    <message>
        <source>Key passphrase</source>
        <translation>Schlüssel-Passphrase</translation>
    </message>
    <message>
        <source>For an encrypted key. Kept in the keychain.</source>
        <translation>Für einen verschlüsselten Schlüssel. Wird im Schlüsselbund aufbewahrt.</translation>
    </message>
    <message>
        <source>Enter a full http:// or https:// address, for example https://gateway.example.com.</source>
        <translation>Geben Sie eine vollständige http://- oder https://-Adresse ein, zum Beispiel https://gateway.example.com.</translation>
    </message>
    <message>
        <source>Leave the password out of the proxy address: Save would write it to the settings file in plaintext. Use proxyAuthHelper, or set HTTPS_PROXY in the environment.</source>
        <translation>Lassen Sie das Passwort aus der Proxy-Adresse weg: „Speichern“ würde es im Klartext in die Einstellungsdatei schreiben. Verwenden Sie proxyAuthHelper oder setzen Sie HTTPS_PROXY in der Umgebung.</translation>
    </message>
    <message>
        <source>Enter a whole number of milliseconds greater than 0, for example 600000.</source>
        <translation>Geben Sie eine ganze Zahl von Millisekunden größer als 0 ein, zum Beispiel 600000.</translation>
    </message>
    <message>
        <source>Separate the values with commas; a value cannot be empty or contain spaces.</source>
        <translation>Trennen Sie die Werte durch Kommas; ein Wert darf nicht leer sein und keine Leerzeichen enthalten.</translation>
    </message>
    <message>
        <source>A passphrase is one line. Type it again.</source>
        <translation>Eine Passphrase besteht aus einer Zeile. Geben Sie sie erneut ein.</translation>
    </message>
    <message>
        <source>This contains spaces, line breaks or other characters a key never has. Copy it again and paste it here.</source>
        <translation>Dies enthält Leerzeichen, Zeilenumbrüche oder andere Zeichen, die ein Schlüssel nie enthält. Kopieren Sie ihn erneut und fügen Sie ihn hier ein.</translation>
    </message>
    <message>
        <source>%1 cannot contain spaces.</source>
        <translation>%1 darf keine Leerzeichen enthalten.</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>Trust not saved</source>
        <translation>Vertrauen nicht gespeichert</translation>
    </message>
    <message>
        <source>%1
The folder is trusted for this run only.</source>
        <translation>%1
Der Ordner gilt nur für diese Sitzung als vertrauenswürdig.</translation>
    </message>
    <message>
        <source>Decision not saved</source>
        <translation>Entscheidung nicht gespeichert</translation>
    </message>
    <message>
        <source>%1
Qlaude will ask about this folder again next time.</source>
        <translation>%1
Qlaude fragt beim nächsten Mal erneut nach diesem Ordner.</translation>
    </message>
    <message>
        <source>Chat history unavailable</source>
        <translation>Chatverlauf nicht verfügbar</translation>
    </message>
    <message>
        <source>%1

Qlaude did not change the file. Move it aside or free disk space, then start Qlaude again.</source>
        <translation>%1

Qlaude hat die Datei nicht verändert. Verschieben Sie sie oder geben Sie Speicherplatz frei, und starten Sie Qlaude dann erneut.</translation>
    </message>
    <message>
        <source>No credential is available. Log in (File &gt; Log in) or set ANTHROPIC_API_KEY.</source>
        <translation>Keine Anmeldedaten verfügbar. Melden Sie sich an (Datei &gt; Anmelden) oder setzen Sie ANTHROPIC_API_KEY.</translation>
    </message>
    <message>
        <source>Qlaude is already showing %1: its window was raised.</source>
        <translation>Qlaude zeigt %1 bereits an: Das Fenster wurde in den Vordergrund geholt.</translation>
    </message>
    <message>
        <source>Qlaude is already running: it opens %1 in a new window.</source>
        <translation>Qlaude läuft bereits und öffnet %1 in einem neuen Fenster.</translation>
    </message>
    <message>
        <source>The keychain entry is not a valid chunk header.</source>
        <translation>Der Schlüsselbund-Eintrag ist kein gültiger Kopfeintrag für Teilstücke.</translation>
    </message>
    <message>
        <source>The keychain holds %1 of the %2 parts of this secret. Sign in or save it again.</source>
        <translation>Der Schlüsselbund enthält %1 von %2 Teilen dieses Geheimnisses. Melden Sie sich an oder speichern Sie es erneut.</translation>
    </message>
    <message>
        <source>The parts of this secret in the keychain do not fit together (one changed). Sign in or save it again.</source>
        <translation>Die Teile dieses Geheimnisses im Schlüsselbund passen nicht zusammen (einer wurde geändert). Melden Sie sich an oder speichern Sie es erneut.</translation>
    </message>
    <message>
        <source>The embedded browser is not installed with this copy of Qlaude. Install the qlaude-webauth package with your package manager (apt install qlaude-webauth), or use the system browser or paste the code instead.</source>
        <translation>Der eingebettete Browser ist in dieser Qlaude-Installation nicht enthalten. Installieren Sie das Paket qlaude-webauth mit Ihrer Paketverwaltung (apt install qlaude-webauth), oder verwenden Sie stattdessen den Systembrowser bzw. fügen Sie den Code ein.</translation>
    </message>
    <message>
        <source>The embedded browser is not installed with this copy of Qlaude. Reinstall Qlaude with the embedded browser, or use the system browser or paste the code instead.</source>
        <translation>Der eingebettete Browser ist in dieser Qlaude-Installation nicht enthalten. Installieren Sie Qlaude mit dem eingebetteten Browser neu, oder verwenden Sie stattdessen den Systembrowser bzw. fügen Sie den Code ein.</translation>
    </message>
    <message>
        <source>The embedded browser could not be loaded: %1 (%2). Use the system browser or paste the code instead.</source>
        <translation>Der eingebettete Browser konnte nicht geladen werden: %1 (%2). Verwenden Sie stattdessen den Systembrowser oder fügen Sie den Code ein.</translation>
    </message>
</context>
<context>
    <name>qlaude::AnthropicClient</name>
    <message>
        <source>ANTHROPIC_BASE_URL is not an http(s) URL</source>
        <translation>ANTHROPIC_BASE_URL ist keine http(s)-URL</translation>
    </message>
</context>
<context>
    <name>qlaude::ApiCall</name>
    <message>
        <source>connection refused</source>
        <translation>Verbindung abgelehnt</translation>
    </message>
    <message>
        <source>the server closed the connection</source>
        <translation>der Server hat die Verbindung geschlossen</translation>
    </message>
    <message>
        <source>host not found</source>
        <translation>Host nicht gefunden</translation>
    </message>
    <message>
        <source>TLS handshake failed</source>
        <translation>TLS-Handshake fehlgeschlagen</translation>
    </message>
    <message>
        <source>proxy error: %1</source>
        <translation>Proxy-Fehler: %1</translation>
    </message>
    <message>
        <source>No provider is configured</source>
        <translation>Es ist kein Anbieter konfiguriert</translation>
    </message>
    <message>
        <source>Check the provider settings shown by qlaude --doctor.</source>
        <translation>Prüfen Sie die Anbietereinstellungen, die qlaude --doctor anzeigt.</translation>
    </message>
    <message>
        <source>The server&apos;s answer was not a valid event stream (SSE); it began with &quot;%1&quot;</source>
        <translation>Die Antwort des Servers war kein gültiger Ereignisstrom (SSE); sie begann mit „%1“</translation>
    </message>
    <message>
        <source>Check that the base URL points at the API and not at a proxy or web page, and any gateway between you and the API.</source>
        <translation>Prüfen Sie, ob die Basis-URL auf die API zeigt und nicht auf einen Proxy oder eine Webseite, und prüfen Sie jedes Gateway zwischen Ihnen und der API.</translation>
    </message>
    <message>
        <source>The answer could not be read: %1</source>
        <translation>Die Antwort konnte nicht gelesen werden: %1</translation>
    </message>
    <message>
        <source>Try again; if it keeps happening, check any proxy or gateway between you and the API.</source>
        <translation>Versuchen Sie es erneut; wenn es weiterhin auftritt, prüfen Sie jeden Proxy und jedes Gateway zwischen Ihnen und der API.</translation>
    </message>
    <message>
        <source>The proxy asked for credentials and proxyAuthHelper failed: %1</source>
        <translation>Der Proxy hat nach Anmeldedaten gefragt, und proxyAuthHelper ist fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>the answer ended early</source>
        <translation>die Antwort endete vorzeitig</translation>
    </message>
    <message>
        <source>The answer stalled: no complete event arrived for %1 s (API_TIMEOUT_MS=%2)</source>
        <translation>Die Antwort hängt: %1 s lang kam kein vollständiges Ereignis an (API_TIMEOUT_MS=%2)</translation>
    </message>
    <message>
        <source>The answer stalled: nothing but keep-alive pings for %1 s (CLAUDE_STREAM_IDLE_TIMEOUT_MS=%2)</source>
        <translation>Die Antwort hängt: %1 s lang kamen nur Keep-alive-Pings an (CLAUDE_STREAM_IDLE_TIMEOUT_MS=%2)</translation>
    </message>
    <message>
        <source>Try again, or raise CLAUDE_STREAM_IDLE_TIMEOUT_MS if long pauses are expected.</source>
        <translation>Versuchen Sie es erneut oder erhöhen Sie CLAUDE_STREAM_IDLE_TIMEOUT_MS, wenn lange Pausen zu erwarten sind.</translation>
    </message>
    <message>
        <source>The API did not answer within %1 s (API_TIMEOUT_MS=%2)</source>
        <translation>Die API hat nicht innerhalb von %1 s geantwortet (API_TIMEOUT_MS=%2)</translation>
    </message>
    <message>
        <source>The server redirected the request (HTTP %1) to %2, another origin; Qlaude does not send your credential or conversation there</source>
        <translation>Der Server hat die Anfrage (HTTP %1) an %2 weitergeleitet, einen anderen Ursprung; Qlaude sendet Ihre Anmeldedaten und Ihre Unterhaltung nicht dorthin</translation>
    </message>
    <message>
        <source>If that address is the right one, set the provider&apos;s base URL to it.</source>
        <translation>Wenn diese Adresse die richtige ist, setzen Sie die Basis-URL des Anbieters darauf.</translation>
    </message>
    <message>
        <source>The server redirected the request more than %1 times</source>
        <translation>Der Server hat die Anfrage mehr als %1-mal weitergeleitet</translation>
    </message>
    <message>
        <source>The server redirected the request (HTTP %1) to %2 in a way that would drop its body</source>
        <translation>Der Server hat die Anfrage (HTTP %1) so an %2 weitergeleitet, dass ihr Inhalt verloren ginge</translation>
    </message>
    <message>
        <source>Set the provider&apos;s base URL to the final address.</source>
        <translation>Setzen Sie die Basis-URL des Anbieters auf die endgültige Adresse.</translation>
    </message>
    <message>
        <source>Repeated 529 Overloaded errors</source>
        <translation>Wiederholte Fehler 529 Overloaded</translation>
    </message>
    <message>
        <source>The API is at capacity; this is usually temporary. Try again in a moment, or set a fallback model.</source>
        <translation>Die API ist ausgelastet; das ist meist vorübergehend. Versuchen Sie es gleich noch einmal oder legen Sie ein Ausweichmodell fest.</translation>
    </message>
</context>
<context>
    <name>qlaude::ApiError</name>
    <message>
        <source>The key from apiKeyHelper was rejected. Fix the helper&apos;s key, then try again.</source>
        <translation>Der Schlüssel aus apiKeyHelper wurde abgelehnt. Korrigieren Sie den Schlüssel des Hilfsprogramms und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>The key in %1 was rejected (invalid or expired). Fix or unset it, then try again.</source>
        <translation>Der Schlüssel in %1 wurde abgelehnt (ungültig oder abgelaufen). Korrigieren oder entfernen Sie ihn und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>Your API key or login is invalid or has expired. Log in again.</source>
        <translation>Ihr API-Schlüssel oder Ihre Anmeldung ist ungültig oder abgelaufen. Melden Sie sich erneut an.</translation>
    </message>
    <message>
        <source>Your login was revoked. Log in again.</source>
        <translation>Ihre Anmeldung wurde widerrufen. Melden Sie sich erneut an.</translation>
    </message>
    <message>
        <source>Your organization has disabled API key authentication. Unset %1 and log in with your Claude account instead.</source>
        <translation>Ihre Organisation hat die Authentifizierung per API-Schlüssel deaktiviert. Entfernen Sie %1 und melden Sie sich stattdessen mit Ihrem Claude-Konto an.</translation>
    </message>
    <message>
        <source>the apiKeyHelper setting</source>
        <translation>die Einstellung apiKeyHelper</translation>
    </message>
    <message>
        <source>Your account does not have access to %1 or to this feature. Choose another model, or ask your administrator for access.</source>
        <translation>Ihr Konto hat keinen Zugriff auf %1 oder auf diese Funktion. Wählen Sie ein anderes Modell oder bitten Sie Ihren Administrator um Zugriff.</translation>
    </message>
    <message>
        <source>this model</source>
        <translation>dieses Modell</translation>
    </message>
    <message>
        <source>The model %1 is not available here. Choose another model (--model or the model picker), or check ANTHROPIC_BASE_URL.</source>
        <translation>Das Modell %1 ist hier nicht verfügbar. Wählen Sie ein anderes Modell (--model oder die Modellauswahl) oder prüfen Sie ANTHROPIC_BASE_URL.</translation>
    </message>
    <message>
        <source>requested</source>
        <translation>(das angeforderte)</translation>
    </message>
    <message>
        <source>The request is too large. Shorten the conversation or attachments.</source>
        <translation>Die Anfrage ist zu groß. Kürzen Sie die Unterhaltung oder die Anhänge.</translation>
    </message>
    <message>
        <source>You hit a rate or usage limit. Wait a moment and try again, or check your plan&apos;s limits.</source>
        <translation>Sie haben ein Raten- oder Nutzungslimit erreicht. Warten Sie einen Moment und versuchen Sie es erneut, oder prüfen Sie die Limits Ihres Tarifs.</translation>
    </message>
    <message>
        <source>The API is at capacity. This is usually temporary; try again in a moment.</source>
        <translation>Die API ist ausgelastet. Das ist meist vorübergehend; versuchen Sie es gleich noch einmal.</translation>
    </message>
    <message>
        <source>Your credit balance is too low. Add credits in the Console, then try again.</source>
        <translation>Ihr Guthaben ist zu niedrig. Laden Sie in der Console Guthaben auf und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>This is a server-side issue, usually temporary. Try again in a moment.</source>
        <translation>Dies ist ein serverseitiges Problem, meist vorübergehend. Versuchen Sie es gleich noch einmal.</translation>
    </message>
    <message>
        <source>The API rejected the request. Check the model, max tokens and settings named in the message.</source>
        <translation>Die API hat die Anfrage abgelehnt. Prüfen Sie das Modell, die maximale Tokenzahl und die in der Meldung genannten Einstellungen.</translation>
    </message>
    <message>
        <source>Try again; if it keeps failing, run qlaude --doctor.</source>
        <translation>Versuchen Sie es erneut; wenn es weiterhin fehlschlägt, führen Sie qlaude --doctor aus.</translation>
    </message>
    <message>
        <source>The request was invalid</source>
        <translation>Die Anfrage war ungültig</translation>
    </message>
    <message>
        <source>Authentication failed</source>
        <translation>Authentifizierung fehlgeschlagen</translation>
    </message>
    <message>
        <source>Payment required</source>
        <translation>Zahlung erforderlich</translation>
    </message>
    <message>
        <source>Access denied</source>
        <translation>Zugriff verweigert</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>Nicht gefunden</translation>
    </message>
    <message>
        <source>The request timed out</source>
        <translation>Zeitüberschreitung bei der Anfrage</translation>
    </message>
    <message>
        <source>The request is too large</source>
        <translation>Die Anfrage ist zu groß</translation>
    </message>
    <message>
        <source>Rate limited</source>
        <translation>Ratenlimit erreicht</translation>
    </message>
    <message>
        <source>The API is overloaded</source>
        <translation>Die API ist überlastet</translation>
    </message>
    <message>
        <source>The API had an internal error</source>
        <translation>In der API ist ein interner Fehler aufgetreten</translation>
    </message>
    <message>
        <source>The API returned an error</source>
        <translation>Die API hat einen Fehler gemeldet</translation>
    </message>
    <message>
        <source>The API reported an error during the answer (%1)</source>
        <translation>Die API hat während der Antwort einen Fehler gemeldet (%1)</translation>
    </message>
    <message>
        <source>The part of the answer that arrived was kept.</source>
        <translation>Der bereits eingetroffene Teil der Antwort wurde behalten.</translation>
    </message>
    <message>
        <source>connection lost</source>
        <translation>Verbindung verloren</translation>
    </message>
    <message>
        <source>timed out</source>
        <translation>Zeitüberschreitung</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>gestoppt</translation>
    </message>
    <message>
        <source>unreadable answer</source>
        <translation>unlesbare Antwort</translation>
    </message>
    <message>
        <source>no credential</source>
        <translation>keine Anmeldedaten</translation>
    </message>
    <message>
        <source>configuration error</source>
        <translation>Konfigurationsfehler</translation>
    </message>
    <message>
        <source>The connection to the API was lost (%1)</source>
        <translation>Die Verbindung zur API wurde unterbrochen (%1)</translation>
    </message>
    <message>
        <source>Check your network or proxy, then try again.</source>
        <translation>Prüfen Sie Ihr Netzwerk oder Ihren Proxy und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>The API did not answer within %1 s</source>
        <translation>Die API hat nicht innerhalb von %1 s geantwortet</translation>
    </message>
    <message>
        <source>Try again, or raise API_TIMEOUT_MS if your network or gateway is slow.</source>
        <translation>Versuchen Sie es erneut oder erhöhen Sie API_TIMEOUT_MS, wenn Ihr Netzwerk oder Gateway langsam ist.</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Gestoppt</translation>
    </message>
</context>
<context>
    <name>qlaude::ApiKeyHelper</name>
    <message>
        <source>CLAUDE_CODE_API_KEY_HELPER_TTL_MS must be a whole number of milliseconds (0 or more); using the default of 300000.</source>
        <translation>CLAUDE_CODE_API_KEY_HELPER_TTL_MS muss eine ganze Zahl von Millisekunden sein (0 oder mehr); der Standardwert 300000 wird verwendet.</translation>
    </message>
    <message>
        <source>apiKeyHelper printed %1 lines (exit code 0). It must print only the key, on one line.</source>
        <translation>apiKeyHelper hat %1 Zeilen ausgegeben (Exit-Code 0). Der Befehl darf nur den Schlüssel ausgeben, in einer Zeile.</translation>
    </message>
    <message>
        <source>apiKeyHelper printed a control character (exit code 0). It must print only the key, on one line.</source>
        <translation>apiKeyHelper hat ein Steuerzeichen ausgegeben (Exit-Code 0). Der Befehl darf nur den Schlüssel ausgeben, in einer Zeile.</translation>
    </message>
</context>
<context>
    <name>qlaude::AuthContext</name>
    <message>
        <source>%1 settings (%2)</source>
        <translation>%1-Einstellungen (%2)</translation>
    </message>
    <message>
        <source>the Anthropic API</source>
        <translation>die Anthropic-API</translation>
    </message>
</context>
<context>
    <name>qlaude::AuthResolver</name>
    <message>
        <source>%1 from the environment</source>
        <translation>%1 aus der Umgebung</translation>
    </message>
    <message>
        <source>the apiKeyHelper command</source>
        <translation>der apiKeyHelper-Befehl</translation>
    </message>
    <message>
        <source>your stored Claude.ai login</source>
        <translation>Ihre gespeicherte Claude.ai-Anmeldung</translation>
    </message>
    <message>
        <source>the API key stored in the keychain</source>
        <translation>der im Schlüsselbund gespeicherte API-Schlüssel</translation>
    </message>
    <message>
        <source>the bearer token stored in the keychain</source>
        <translation>das im Schlüsselbund gespeicherte Bearer-Token</translation>
    </message>
    <message>
        <source>the key stored in the keychain (%1)</source>
        <translation>der im Schlüsselbund gespeicherte Schlüssel (%1)</translation>
    </message>
    <message>
        <source>It is the first available source in the priority order.</source>
        <translation>Dies ist die erste verfügbare Quelle in der Prioritätsreihenfolge.</translation>
    </message>
    <message>
        <source>Not used: %1 takes priority.</source>
        <translation>Nicht verwendet: %1 hat Vorrang.</translation>
    </message>
    <message>
        <source>%1 is not set.</source>
        <translation>%1 ist nicht gesetzt.</translation>
    </message>
    <message>
        <source>The keychain was not read.</source>
        <translation>Der Schlüsselbund wurde nicht gelesen.</translation>
    </message>
    <message>
        <source>No %1 is stored in the keychain.</source>
        <translation>Im Schlüsselbund ist kein %1 gespeichert.</translation>
    </message>
    <message>
        <source>--bare never reads the keychain.</source>
        <translation>--bare liest den Schlüsselbund nie.</translation>
    </message>
    <message>
        <source>awsCredentialExport from %1 was not run: the workspace is not trusted. %2</source>
        <translation>awsCredentialExport aus %1 wurde nicht ausgeführt: Dem Arbeitsbereich wird nicht vertraut. %2</translation>
    </message>
    <message>
        <source>No %1 credential is available.</source>
        <translation>Es sind keine Anmeldedaten für %1 verfügbar.</translation>
    </message>
    <message>
        <source>The keychain is locked, so a stored %1 cannot be read. Unlock it and try again.</source>
        <translation>Der Schlüsselbund ist gesperrt, daher kann ein gespeicherter Wert für %1 nicht gelesen werden. Entsperren Sie ihn und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>Signing with AWS credentials from %1 (SigV4).</source>
        <translation>Signiert mit AWS-Anmeldedaten aus %1 (SigV4).</translation>
    </message>
    <message>
        <source>Using a Google access token from %1.</source>
        <translation>Verwendet ein Google-Zugriffstoken aus %1.</translation>
    </message>
    <message>
        <source>Using a Microsoft Entra ID token from %1.</source>
        <translation>Verwendet ein Microsoft-Entra-ID-Token aus %1.</translation>
    </message>
    <message>
        <source>No %1 authentication is sent: %2 is set (%3), for a proxy or gateway that adds it.</source>
        <translation>Es wird keine Authentifizierung für %1 gesendet: %2 ist gesetzt (%3), für einen Proxy oder ein Gateway, der bzw. das sie hinzufügt.</translation>
    </message>
    <message>
        <source>Using %1.</source>
        <translation>Verwendet %1.</translation>
    </message>
    <message>
        <source>Using %1 (%2).</source>
        <translation>Verwendet %1 (%2).</translation>
    </message>
    <message>
        <source>Using the %1 stored in the keychain.</source>
        <translation>Verwendet den im Schlüsselbund gespeicherten Wert für %1.</translation>
    </message>
    <message>
        <source>ANTHROPIC_AUTH_TOKEN is not set.</source>
        <translation>ANTHROPIC_AUTH_TOKEN ist nicht gesetzt.</translation>
    </message>
    <message>
        <source>A managed session (Claude Desktop or remote) forces OAuth; environment tokens are ignored.</source>
        <translation>Eine verwaltete Sitzung (Claude Desktop oder remote) erzwingt OAuth; Tokens aus der Umgebung werden ignoriert.</translation>
    </message>
    <message>
        <source>--bare honours only ANTHROPIC_API_KEY and --settings.</source>
        <translation>--bare berücksichtigt nur ANTHROPIC_API_KEY und --settings.</translation>
    </message>
    <message>
        <source>ANTHROPIC_API_KEY is not set.</source>
        <translation>ANTHROPIC_API_KEY ist nicht gesetzt.</translation>
    </message>
    <message>
        <source>A managed session forces OAuth; local API keys are ignored so they cannot leak into it.</source>
        <translation>Eine verwaltete Sitzung erzwingt OAuth; lokale API-Schlüssel werden ignoriert, damit sie nicht in sie gelangen.</translation>
    </message>
    <message>
        <source>No apiKeyHelper is set in the settings that apply.</source>
        <translation>In den geltenden Einstellungen ist kein apiKeyHelper festgelegt.</translation>
    </message>
    <message>
        <source>apiKeyHelper from %1 was not run: the workspace is not trusted.</source>
        <translation>apiKeyHelper aus %1 wurde nicht ausgeführt: Dem Arbeitsbereich wird nicht vertraut.</translation>
    </message>
    <message>
        <source>A managed session forces OAuth; apiKeyHelper is ignored.</source>
        <translation>Eine verwaltete Sitzung erzwingt OAuth; apiKeyHelper wird ignoriert.</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_OAUTH_TOKEN is not set.</source>
        <translation>CLAUDE_CODE_OAUTH_TOKEN ist nicht gesetzt.</translation>
    </message>
    <message>
        <source>--bare never uses OAuth tokens.</source>
        <translation>--bare verwendet nie OAuth-Tokens.</translation>
    </message>
    <message>
        <source>No login is stored in the keychain.</source>
        <translation>Im Schlüsselbund ist keine Anmeldung gespeichert.</translation>
    </message>
    <message>
        <source>No API key is stored in the keychain.</source>
        <translation>Im Schlüsselbund ist kein API-Schlüssel gespeichert.</translation>
    </message>
    <message>
        <source>A managed session forces OAuth; stored API keys are ignored.</source>
        <translation>Eine verwaltete Sitzung erzwingt OAuth; gespeicherte API-Schlüssel werden ignoriert.</translation>
    </message>
    <message>
        <source>No bearer token is stored in the keychain.</source>
        <translation>Im Schlüsselbund ist kein Bearer-Token gespeichert.</translation>
    </message>
    <message>
        <source>A managed session forces OAuth; stored tokens are ignored.</source>
        <translation>Eine verwaltete Sitzung erzwingt OAuth; gespeicherte Tokens werden ignoriert.</translation>
    </message>
    <message>
        <source>No credential is available.</source>
        <translation>Es sind keine Anmeldedaten verfügbar.</translation>
    </message>
    <message>
        <source>The keychain is locked, so a stored login cannot be read. Unlock it and try again; you are not logged out.</source>
        <translation>Der Schlüsselbund ist gesperrt, daher kann eine gespeicherte Anmeldung nicht gelesen werden. Entsperren Sie ihn und versuchen Sie es erneut; Sie sind nicht abgemeldet.</translation>
    </message>
    <message>
        <source>Log in with `qlaude --login=api-key`, set ANTHROPIC_API_KEY, or configure an apiKeyHelper.</source>
        <translation>Melden Sie sich mit `qlaude --login=api-key` an, setzen Sie ANTHROPIC_API_KEY, oder richten Sie einen apiKeyHelper ein.</translation>
    </message>
    <message>
        <source>%1 Qlaude goes on with the login it read before, held in memory for this run; changes to it are not saved until the keychain answers again.</source>
        <translation>%1 Qlaude arbeitet mit der zuvor gelesenen Anmeldung weiter, die für diese Sitzung im Arbeitsspeicher gehalten wird; Änderungen daran werden erst gespeichert, wenn der Schlüsselbund wieder antwortet.</translation>
    </message>
    <message>
        <source> ANTHROPIC_API_KEY is sent too, as x-api-key, as the CLI does.</source>
        <translation> ANTHROPIC_API_KEY wird ebenfalls gesendet, als x-api-key, wie es die CLI tut.</translation>
    </message>
    <message>
        <source>Unset %1 to use it.</source>
        <translation>Entfernen Sie %1, um den gespeicherten Wert zu verwenden.</translation>
    </message>
    <message>
        <source>Remove apiKeyHelper from %1 to use it.</source>
        <translation>Entfernen Sie apiKeyHelper aus %1, um den gespeicherten Wert zu verwenden.</translation>
    </message>
    <message>
        <source>%1 is used, so %2 is ignored. %3</source>
        <translation>%1 wird verwendet, daher wird %2 ignoriert. %3</translation>
    </message>
    <message>
        <source>The environment overrides the connection &quot;%1&quot;: %2 is set, so it is used instead of the connection&apos;s stored credential. Unset it to use the connection.</source>
        <translation>Die Umgebung überschreibt die Verbindung „%1“: %2 ist gesetzt und wird daher statt der gespeicherten Anmeldedaten der Verbindung verwendet. Entfernen Sie die Variable, um die Verbindung zu verwenden.</translation>
    </message>
</context>
<context>
    <name>qlaude::BedrockClient</name>
    <message>
        <source>Truncated event message</source>
        <translation>Abgeschnittene Ereignisnachricht</translation>
    </message>
    <message>
        <source>The Bedrock event stream could not be read: %1</source>
        <translation>Der Bedrock-Ereignisstrom konnte nicht gelesen werden: %1</translation>
    </message>
    <message>
        <source>Amazon Bedrock has no %1 in the Messages API</source>
        <translation>Amazon Bedrock bietet in der Messages API keine %1</translation>
    </message>
    <message>
        <source>model list</source>
        <translation>Modellliste</translation>
    </message>
    <message>
        <source>token count</source>
        <translation>Tokenzählung</translation>
    </message>
    <message>
        <source>No Bedrock model id is set (ANTHROPIC_MODEL)</source>
        <translation>Es ist keine Bedrock-Modell-ID festgelegt (ANTHROPIC_MODEL)</translation>
    </message>
    <message>
        <source>ANTHROPIC_BEDROCK_BASE_URL is not an http(s) URL</source>
        <translation>ANTHROPIC_BEDROCK_BASE_URL ist keine http(s)-URL</translation>
    </message>
    <message>
        <source>ANTHROPIC_BEDROCK_SERVICE_TIER contains a control character</source>
        <translation>ANTHROPIC_BEDROCK_SERVICE_TIER enthält ein Steuerzeichen</translation>
    </message>
    <message>
        <source>No AWS credentials are available</source>
        <translation>Es sind keine AWS-Anmeldedaten verfügbar</translation>
    </message>
    <message>
        <source>Check the AWS credentials shown by qlaude --doctor (for example run `aws sso login`, or set AWS_PROFILE).</source>
        <translation>Prüfen Sie die von qlaude --doctor angezeigten AWS-Anmeldedaten (führen Sie zum Beispiel `aws sso login` aus oder setzen Sie AWS_PROFILE).</translation>
    </message>
    <message>
        <source>Running awsAuthRefresh…</source>
        <translation>awsAuthRefresh wird ausgeführt…</translation>
    </message>
    <message>
        <source>Amazon Bedrock answered HTTP %1</source>
        <translation>Amazon Bedrock hat mit HTTP %1 geantwortet</translation>
    </message>
    <message>
        <source>The AWS credentials from %1 were rejected or have expired. Refresh them (for example `aws sso login`, or awsAuthRefresh in settings) and try again.</source>
        <translation>Die AWS-Anmeldedaten aus %1 wurden abgelehnt oder sind abgelaufen. Erneuern Sie sie (zum Beispiel mit `aws sso login` oder awsAuthRefresh in den Einstellungen) und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>your AWS setup</source>
        <translation>Ihrer AWS-Konfiguration</translation>
    </message>
    <message>
        <source>Your AWS identity may not invoke %1 in %2: enable access to the model in the Bedrock console and allow bedrock:InvokeModelWithResponseStream.</source>
        <translation>Ihre AWS-Identität darf %1 in %2 nicht aufrufen: Aktivieren Sie den Zugriff auf das Modell in der Bedrock-Konsole und erlauben Sie bedrock:InvokeModelWithResponseStream.</translation>
    </message>
    <message>
        <source>Model %1 is not available in %2. Use an inference profile id such as us.anthropic.claude-sonnet-4-5-20250929-v1:0, or set AWS_REGION.</source>
        <translation>Modell %1 ist in %2 nicht verfügbar. Verwenden Sie eine Inferenzprofil-ID wie us.anthropic.claude-sonnet-4-5-20250929-v1:0 oder setzen Sie AWS_REGION.</translation>
    </message>
    <message>
        <source>Bedrock rejected the request: check the model id (%1) and the region (%2).</source>
        <translation>Bedrock hat die Anfrage abgelehnt: Prüfen Sie die Modell-ID (%1) und die Region (%2).</translation>
    </message>
    <message>
        <source>Bedrock is throttling this account. Wait a moment, or ask AWS for a higher quota.</source>
        <translation>Bedrock drosselt dieses Konto. Warten Sie einen Moment oder beantragen Sie bei AWS ein höheres Kontingent.</translation>
    </message>
    <message>
        <source>Bedrock had a server problem; try again.</source>
        <translation>Bei Bedrock ist ein Serverproblem aufgetreten; versuchen Sie es erneut.</translation>
    </message>
</context>
<context>
    <name>qlaude::ChatSession</name>
    <message>
        <source>Stop the current answer before switching conversations.</source>
        <translation>Stoppen Sie die aktuelle Antwort, bevor Sie die Unterhaltung wechseln.</translation>
    </message>
    <message>
        <source>Conversation %1 does not exist.</source>
        <translation>Unterhaltung %1 existiert nicht.</translation>
    </message>
    <message>
        <source>An answer is still arriving. Stop it first (Esc).</source>
        <translation>Eine Antwort kommt noch an. Stoppen Sie sie zuerst (Esc).</translation>
    </message>
    <message>
        <source>The message is empty.</source>
        <translation>Die Nachricht ist leer.</translation>
    </message>
    <message>
        <source>There is no message to answer.</source>
        <translation>Es gibt keine Nachricht, die beantwortet werden kann.</translation>
    </message>
    <message>
        <source>Stop the current answer before regenerating.</source>
        <translation>Stoppen Sie die aktuelle Antwort, bevor Sie sie neu generieren.</translation>
    </message>
    <message>
        <source>There is no question to answer again.</source>
        <translation>Es gibt keine Frage, die erneut beantwortet werden kann.</translation>
    </message>
    <message>
        <source>Stop the current answer before editing.</source>
        <translation>Stoppen Sie die aktuelle Antwort, bevor Sie eine Nachricht bearbeiten.</translation>
    </message>
    <message>
        <source>That message cannot be edited.</source>
        <translation>Diese Nachricht kann nicht bearbeitet werden.</translation>
    </message>
    <message>
        <source>Stop the current answer before switching versions.</source>
        <translation>Stoppen Sie die aktuelle Antwort, bevor Sie die Version wechseln.</translation>
    </message>
    <message>
        <source>Versions are kept only in the chat history.</source>
        <translation>Versionen werden nur im Chatverlauf aufbewahrt.</translation>
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
        <translation>Kontohinweis</translation>
    </message>
    <message>
        <source>Error notice</source>
        <translation>Fehlerhinweis</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;New Chat</source>
        <translation>&amp;Neuer Chat</translation>
    </message>
    <message>
        <source>&amp;Log In…</source>
        <translation>&amp;Anmelden…</translation>
    </message>
    <message>
        <source>&amp;Trust This Folder…</source>
        <translation>Diesem &amp;Ordner vertrauen…</translation>
    </message>
    <message>
        <source>&amp;Close Window</source>
        <translation>Fenster &amp;schließen</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <source>&amp;Find Conversations</source>
        <translation>Unterhaltungen &amp;suchen</translation>
    </message>
    <message>
        <source>Focus &amp;Message Box</source>
        <translation>Zum &amp;Nachrichtenfeld</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Einstellungen…</translation>
    </message>
    <message>
        <source>&amp;Conversation</source>
        <translation>&amp;Unterhaltung</translation>
    </message>
    <message>
        <source>&amp;Stop Answer</source>
        <translation>Antwort &amp;stoppen</translation>
    </message>
    <message>
        <source>&amp;Regenerate</source>
        <translation>&amp;Neu generieren</translation>
    </message>
    <message>
        <source>&amp;Edit Last Message</source>
        <translation>Letzte Nachricht &amp;bearbeiten</translation>
    </message>
    <message>
        <source>S&amp;ystem Prompt…</source>
        <translation>S&amp;ystem-Prompt…</translation>
    </message>
    <message>
        <source>Re&amp;name…</source>
        <translation>&amp;Umbenennen…</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>&amp;Löschen</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>&amp;Doctor…</source>
        <translation>&amp;Diagnose…</translation>
    </message>
    <message>
        <source>&amp;About Qlaude</source>
        <translation>&amp;Über Qlaude</translation>
    </message>
    <message>
        <source>About Qlaude</source>
        <translation>Über Qlaude</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Qlaude&lt;/b&gt; %1&lt;/p&gt;&lt;p&gt;A native desktop client for Claude.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Qlaude&lt;/b&gt; %1&lt;/p&gt;&lt;p&gt;Ein nativer Desktop-Client für Claude.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>The chat history could not be saved: %1 Qlaude keeps trying.</source>
        <translation>Der Chatverlauf konnte nicht gespeichert werden: %1 Qlaude versucht es weiter.</translation>
    </message>
    <message>
        <source>System prompt removed</source>
        <translation>System-Prompt entfernt</translation>
    </message>
    <message>
        <source>System prompt saved for this conversation</source>
        <translation>System-Prompt für diese Unterhaltung gespeichert</translation>
    </message>
    <message>
        <source>Log in to start chatting</source>
        <translation>Melden Sie sich an, um zu chatten</translation>
    </message>
    <message>
        <source>%1 — Qlaude</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1 — Qlaude</translation>
    </message>
    <message>
        <source>Start a conversation</source>
        <translation>Unterhaltung beginnen</translation>
    </message>
    <message>
        <source>Type a message below and press Enter. Shift+Enter adds a new line.
Ctrl+K searches your conversations; Ctrl+N starts a new one.</source>
        <translation>Geben Sie unten eine Nachricht ein und drücken Sie die Eingabetaste. Umschalt+Eingabe fügt eine neue Zeile ein.
Strg+K durchsucht Ihre Unterhaltungen; Strg+N beginnt eine neue.</translation>
    </message>
    <message>
        <source>Your keychain is locked</source>
        <translation>Ihr Schlüsselbund ist gesperrt</translation>
    </message>
    <message>
        <source>Unlock it, then press Retry above. You are still logged in.</source>
        <translation>Entsperren Sie ihn und klicken Sie dann oben auf „Wiederholen“. Sie sind weiterhin angemeldet.</translation>
    </message>
    <message>
        <source>Stopped; the partial answer is kept</source>
        <translation>Gestoppt; die unvollständige Antwort bleibt erhalten</translation>
    </message>
    <message>
        <source>Log in to see the available models</source>
        <translation>Melden Sie sich an, um die verfügbaren Modelle zu sehen</translation>
    </message>
    <message>
        <source>The model list could not be loaded (%1); these are the models Qlaude knows</source>
        <translation>Die Modellliste konnte nicht geladen werden (%1); dies sind die Modelle, die Qlaude kennt</translation>
    </message>
    <message>
        <source>The provider returned no models; these are the models Qlaude knows</source>
        <translation>Der Anbieter hat keine Modelle geliefert; dies sind die Modelle, die Qlaude kennt</translation>
    </message>
    <message>
        <source>Folder trust notice</source>
        <translation>Hinweis zum Ordnervertrauen</translation>
    </message>
    <message>
        <source>Logged in. Press Regenerate (Ctrl+R) to ask again.</source>
        <translation>Angemeldet. Drücken Sie „Neu generieren“ (Strg+R), um erneut zu fragen.</translation>
    </message>
    <message>
        <source>Unlock your keychain to start chatting</source>
        <translation>Entsperren Sie Ihren Schlüsselbund, um zu chatten</translation>
    </message>
    <message>
        <source>Press Log In above to connect Qlaude with an API key or another way this build offers, or set ANTHROPIC_API_KEY and start Qlaude again.</source>
        <translation>Klicken Sie oben auf „Anmelden“, um Qlaude mit einem API-Schlüssel oder einem anderen Weg, den diese Version bietet, zu verbinden, oder setzen Sie ANTHROPIC_API_KEY und starten Sie Qlaude neu.</translation>
    </message>
    <message>
        <source>Co&amp;nnection</source>
        <translation>&amp;Verbindung</translation>
    </message>
    <message>
        <source>Switch Connection</source>
        <translation>Verbindung wechseln</translation>
    </message>
</context>
<context>
    <name>qlaude::ChatWindowBanners</name>
    <message>
        <source>Check your AWS credentials (profile, access keys or Bedrock API key).</source>
        <translation>Prüfen Sie Ihre AWS-Anmeldedaten (Profil, Zugriffsschlüssel oder Bedrock-API-Schlüssel).</translation>
    </message>
    <message>
        <source>Check your Google Cloud credentials (gcloud auth application-default login).</source>
        <translation>Prüfen Sie Ihre Google-Cloud-Anmeldedaten (gcloud auth application-default login).</translation>
    </message>
    <message>
        <source>Check your Azure credentials (the Foundry API key or your Entra ID sign-in).</source>
        <translation>Prüfen Sie Ihre Azure-Anmeldedaten (den Foundry-API-Schlüssel oder Ihre Entra-ID-Anmeldung).</translation>
    </message>
    <message>
        <source>Open Provider Settings</source>
        <translation>Anbietereinstellungen öffnen</translation>
    </message>
    <message>
        <source>The keychain is locked, so your stored login can&apos;t be read. Unlock it, then press Retry. You are not logged out.</source>
        <translation>Der Schlüsselbund ist gesperrt, daher kann Ihre gespeicherte Anmeldung nicht gelesen werden. Entsperren Sie ihn und klicken Sie dann auf „Wiederholen“. Sie sind nicht abgemeldet.</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Wiederholen</translation>
    </message>
    <message>
        <source>%1 Log in for this session, or set ANTHROPIC_API_KEY.</source>
        <translation>%1 Melden Sie sich für diese Sitzung an oder setzen Sie ANTHROPIC_API_KEY.</translation>
    </message>
    <message>
        <source>Log In</source>
        <translation>Anmelden</translation>
    </message>
    <message numerus="yes">
        <source>%n more settings file(s) could not be read either.</source>
        <translation>
            <numerusform>%n weitere Einstellungsdatei konnte ebenfalls nicht gelesen werden.</numerusform>
            <numerusform>%n weitere Einstellungsdateien konnten ebenfalls nicht gelesen werden.</numerusform>
        </translation>
    </message>
    <message>
        <source>Fix the file and restart Qlaude; until then its settings do not apply.</source>
        <translation>Korrigieren Sie die Datei und starten Sie Qlaude neu; bis dahin gelten ihre Einstellungen nicht.</translation>
    </message>
    <message>
        <source>Open Doctor</source>
        <translation>Diagnose öffnen</translation>
    </message>
    <message>
        <source>Log In Again</source>
        <translation>Erneut anmelden</translation>
    </message>
    <message>
        <source>Try Again</source>
        <translation>Erneut versuchen</translation>
    </message>
    <message>
        <source>Rate limit reached (HTTP 429).</source>
        <translation>Ratenlimit erreicht (HTTP 429).</translation>
    </message>
    <message>
        <source>The API is overloaded (HTTP 529).</source>
        <translation>Die API ist überlastet (HTTP 529).</translation>
    </message>
    <message>
        <source>The request failed (%1).</source>
        <translation>Die Anfrage ist fehlgeschlagen (%1).</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Stoppen</translation>
    </message>
    <message>
        <source>No data from the API for %1 s. The answer may have stalled: Stop keeps what arrived, Retry asks again.</source>
        <translation>Seit %1 s keine Daten von der API. Die Antwort hängt möglicherweise: „Stoppen“ behält, was angekommen ist, „Wiederholen“ fragt erneut.</translation>
    </message>
    <message>
        <source>%1 Retrying in %2 s (retry %3)…</source>
        <translation>%1 Neuer Versuch in %2 s (Versuch %3)…</translation>
    </message>
    <message>
        <source>%1 Retrying now (retry %2)…</source>
        <translation>%1 Neuer Versuch läuft (Versuch %2)…</translation>
    </message>
    <message>
        <source>%1 Qlaude goes on with the login it read before, held in memory for this session. Press Retry once the keychain is back.</source>
        <translation>%1 Qlaude verwendet weiterhin die zuvor gelesene Anmeldung, die für diese Sitzung im Arbeitsspeicher gehalten wird. Klicken Sie auf „Wiederholen“, sobald der Schlüsselbund wieder verfügbar ist.</translation>
    </message>
    <message>
        <source>This folder is not trusted, so its settings that run commands or change where Qlaude sends your credentials are not used.</source>
        <translation>Diesem Ordner wird nicht vertraut. Seine Einstellungen, die Befehle ausführen oder ändern, wohin Qlaude Ihre Anmeldedaten sendet, werden daher nicht verwendet.</translation>
    </message>
    <message>
        <source>Trust This Folder…</source>
        <translation>Diesem Ordner vertrauen…</translation>
    </message>
    <message>
        <source>The answer failed; the reason is under it.</source>
        <translation>Die Antwort ist fehlgeschlagen; der Grund steht darunter.</translation>
    </message>
    <message>
        <source>Log in, then ask again.</source>
        <translation>Melden Sie sich an und fragen Sie dann erneut.</translation>
    </message>
    <message>
        <source>Check the provider settings.</source>
        <translation>Prüfen Sie die Anbietereinstellungen.</translation>
    </message>
    <message>
        <source>Log in again, then ask again.</source>
        <translation>Melden Sie sich erneut an und fragen Sie dann noch einmal.</translation>
    </message>
    <message>
        <source>Check the model and your access in the provider settings.</source>
        <translation>Prüfen Sie in den Anbietereinstellungen das Modell und Ihren Zugriff.</translation>
    </message>
    <message>
        <source>Wait a moment, then try again.</source>
        <translation>Warten Sie einen Moment und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>You&apos;re not logged in. Log in to start chatting, or set ANTHROPIC_API_KEY and start Qlaude again.</source>
        <translation>Sie sind nicht angemeldet. Melden Sie sich an, um zu chatten, oder setzen Sie ANTHROPIC_API_KEY und starten Sie Qlaude neu.</translation>
    </message>
</context>
<context>
    <name>qlaude::CliCommands</name>
    <message>
        <source>Paste your Anthropic API key: </source>
        <translation>Fügen Sie Ihren Anthropic-API-Schlüssel ein: </translation>
    </message>
    <message>
        <source>No API key was given. Paste the key when asked, or pipe it: printf %s &quot;$KEY&quot; | qlaude --login=api-key</source>
        <translation>Es wurde kein API-Schlüssel angegeben. Fügen Sie den Schlüssel bei der Abfrage ein oder leiten Sie ihn weiter: printf %s &quot;$KEY&quot; | qlaude --login=api-key</translation>
    </message>
    <message>
        <source>That does not look like an API key: it contains spaces or line breaks. Copy the key alone and try again.</source>
        <translation>Das sieht nicht wie ein API-Schlüssel aus: Es enthält Leerzeichen oder Zeilenumbrüche. Kopieren Sie nur den Schlüssel und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>The API key was not saved.</source>
        <translation>Der API-Schlüssel wurde nicht gespeichert.</translation>
    </message>
    <message>
        <source>Saved the API key (%1) in the system keychain.</source>
        <translation>Der API-Schlüssel (%1) wurde im Schlüsselbund des Systems gespeichert.</translation>
    </message>
    <message>
        <source>Removed the previous Claude.ai login from the keychain.</source>
        <translation>Die bisherige Claude.ai-Anmeldung wurde aus dem Schlüsselbund entfernt.</translation>
    </message>
    <message>
        <source>the organization SSO login</source>
        <translation>die SSO-Anmeldung Ihrer Organisation</translation>
    </message>
    <message>
        <source>the Anthropic Console login</source>
        <translation>die Anmeldung bei der Anthropic Console</translation>
    </message>
    <message>
        <source>the Claude.ai login</source>
        <translation>die Claude.ai-Anmeldung</translation>
    </message>
    <message>
        <source>The sign-in server has no revocation endpoint; removing the local login only.</source>
        <translation>Der Anmeldeserver hat keinen Widerrufs-Endpunkt; nur die lokale Anmeldung wird entfernt.</translation>
    </message>
    <message>
        <source>Could not revoke the login at the sign-in server: %1 Continuing with the local logout.</source>
        <translation>Die Anmeldung konnte beim Anmeldeserver nicht widerrufen werden: %1 Die lokale Abmeldung wird fortgesetzt.</translation>
    </message>
    <message>
        <source>Revoked the refresh token at %1.</source>
        <translation>Das Aktualisierungstoken wurde bei %1 widerrufen.</translation>
    </message>
    <message>
        <source>Nothing was removed.</source>
        <translation>Es wurde nichts entfernt.</translation>
    </message>
    <message>
        <source>the API key</source>
        <translation>der API-Schlüssel</translation>
    </message>
    <message>
        <source>Nothing to remove: Qlaude has no login stored in the keychain.</source>
        <translation>Nichts zu entfernen: Qlaude hat keine Anmeldung im Schlüsselbund gespeichert.</translation>
    </message>
    <message>
        <source>Removed %1 from the system keychain.</source>
        <translation>Aus dem Schlüsselbund des Systems entfernt: %1.</translation>
    </message>
    <message>
        <source>Could not remove %1</source>
        <translation>Konnte nicht entfernt werden: %1</translation>
    </message>
    <message>
        <source>Workspace: %1</source>
        <translation>Arbeitsbereich: %1</translation>
    </message>
    <message>
        <source>This folder is already trusted with its current settings.</source>
        <translation>Diesem Ordner wird mit seinen aktuellen Einstellungen bereits vertraut.</translation>
    </message>
    <message>
        <source>Its settings run no commands and change no credential settings.</source>
        <translation>Seine Einstellungen führen keine Befehle aus und ändern keine Einstellungen zu Anmeldedaten.</translation>
    </message>
    <message>
        <source>Trusting it lets its settings do the following:</source>
        <translation>Wenn Sie ihm vertrauen, dürfen seine Einstellungen Folgendes tun:</translation>
    </message>
    <message>
        <source>(from %1)</source>
        <translation>(aus %1)</translation>
    </message>
    <message>
        <source>changed; approved before: %1</source>
        <translation>geändert; zuvor genehmigt: %1</translation>
    </message>
    <message>
        <source>changed since approved: %1</source>
        <translation>seit der Genehmigung geändert: %1</translation>
    </message>
    <message>
        <source>Never trust a folder from a source you do not trust: these commands could send your API keys elsewhere or run anything on your behalf.</source>
        <translation>Vertrauen Sie niemals einem Ordner aus einer Quelle, der Sie nicht vertrauen: Diese Befehle könnten Ihre API-Schlüssel anderswohin senden oder in Ihrem Namen beliebige Dinge ausführen.</translation>
    </message>
    <message>
        <source>This is your home directory: trust lasts for this run only.</source>
        <translation>Dies ist Ihr persönlicher Ordner: Das Vertrauen gilt nur für diese Sitzung.</translation>
    </message>
    <message>
        <source>Not a terminal: pass --yes to confirm (qlaude --trust --yes).</source>
        <translation>Kein Terminal: Bestätigen Sie mit --yes (qlaude --trust --yes).</translation>
    </message>
    <message>
        <source>Trust this folder? [y/N] </source>
        <extracomment>The answer is read as y or Y whatever the language: keep [y/N].</extracomment>
        <translation>Diesem Ordner vertrauen? [y/N] </translation>
    </message>
    <message>
        <source>Not trusted. Nothing was changed.</source>
        <translation>Nicht vertraut. Es wurde nichts geändert.</translation>
    </message>
    <message>
        <source>Trusted for this run.</source>
        <translation>Für diese Sitzung vertraut.</translation>
    </message>
    <message>
        <source>Trusted.</source>
        <translation>Vertraut.</translation>
    </message>
    <message>
        <source>Withdrew trust for %1.</source>
        <translation>Das Vertrauen für %1 wurde zurückgenommen.</translation>
    </message>
    <message>
        <source>It is still trusted through %1; run qlaude --untrust --workspace %1 to change that.</source>
        <translation>Der Ordner ist über %1 weiterhin vertrauenswürdig; führen Sie qlaude --untrust --workspace %1 aus, um das zu ändern.</translation>
    </message>
    <message>
        <source>Saved the API key (%1) for the connection &quot;%2&quot; in the system keychain.</source>
        <translation>Der API-Schlüssel (%1) für die Verbindung „%2“ wurde im Schlüsselbund des Systems gespeichert.</translation>
    </message>
</context>
<context>
    <name>qlaude::CommandLine</name>
    <message>
        <source>qlaude: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset).
Use the command line instead: qlaude --print &quot;question&quot;, qlaude --doctor, or qlaude --help.
</source>
        <translation>qlaude: Keine Anzeige, auf der das Fenster geöffnet werden kann (DISPLAY und WAYLAND_DISPLAY sind nicht gesetzt).
Verwenden Sie stattdessen die Befehlszeile: qlaude --print &quot;Frage&quot;, qlaude --doctor oder qlaude --help.
</translation>
    </message>
    <message>
        <source>Qlaude: a native desktop client for Claude, with the authentication model of Claude Code.</source>
        <translation>Qlaude: ein nativer Desktop-Client für Claude mit dem Authentifizierungsmodell von Claude Code.</translation>
    </message>
    <message>
        <source>Show this help.</source>
        <translation>Diese Hilfe anzeigen.</translation>
    </message>
    <message>
        <source>Show the version.</source>
        <translation>Die Version anzeigen.</translation>
    </message>
    <message>
        <source>Report settings, trust, provider, credential and keychain state. Exit 0 when a usable credential exists.</source>
        <translation>Einstellungen, Vertrauen, Anbieter, Anmeldedaten und den Zustand des Schlüsselbunds melden. Exit-Code 0, wenn nutzbare Anmeldedaten vorhanden sind.</translation>
    </message>
    <message>
        <source>With --doctor: print the report as JSON.</source>
        <translation>Mit --doctor: den Bericht als JSON ausgeben.</translation>
    </message>
    <message>
        <source>Log in. api-key: read a key from stdin into the keychain; oauth: sign in with a browser.</source>
        <translation>Anmelden. api-key: einen Schlüssel von stdin in den Schlüsselbund lesen; oauth: mit einem Browser anmelden.</translation>
    </message>
    <message>
        <source>With --login=oauth: claudeai, console or oidc.</source>
        <translation>Mit --login=oauth: claudeai, console oder oidc.</translation>
    </message>
    <message>
        <source>With --login=oauth: system, manual or embedded (default: system with a display, else manual).</source>
        <translation>Mit --login=oauth: system, manual oder embedded (Standard: system mit einer Anzeige, sonst manual).</translation>
    </message>
    <message>
        <source>Remove what Qlaude stored in the keychain.</source>
        <translation>Entfernen, was Qlaude im Schlüsselbund gespeichert hat.</translation>
    </message>
    <message>
        <source>Trust the workspace, after showing the exact commands that trust allows.</source>
        <translation>Dem Arbeitsbereich vertrauen, nachdem die genauen Befehle angezeigt wurden, die das Vertrauen erlaubt.</translation>
    </message>
    <message>
        <source>Withdraw the trust decision for the workspace.</source>
        <translation>Die Vertrauensentscheidung für den Arbeitsbereich zurücknehmen.</translation>
    </message>
    <message>
        <source>Confirm --trust without asking.</source>
        <translation>--trust ohne Rückfrage bestätigen.</translation>
    </message>
    <message>
        <source>The project folder (default: the current directory).</source>
        <translation>Der Projektordner (Standard: das aktuelle Verzeichnis).</translation>
    </message>
    <message>
        <source>Hermetic mode: only ANTHROPIC_API_KEY and --settings; no keychain, no OAuth.</source>
        <translation>Abgeschotteter Modus: nur ANTHROPIC_API_KEY und --settings; kein Schlüsselbund, kein OAuth.</translation>
    </message>
    <message>
        <source>Extra settings: a JSON file or inline JSON.</source>
        <translation>Zusätzliche Einstellungen: eine JSON-Datei oder Inline-JSON.</translation>
    </message>
    <message>
        <source>Ask one question and print the answer as it streams (the prompt from the arguments or stdin).</source>
        <translation>Eine Frage stellen und die Antwort während des Streamings ausgeben (die Frage aus den Argumenten oder von stdin).</translation>
    </message>
    <message>
        <source>The model (default: ANTHROPIC_MODEL, the settings&apos; model, then %1).</source>
        <translation>Das Modell (Standard: ANTHROPIC_MODEL, das Modell aus den Einstellungen, dann %1).</translation>
    </message>
    <message>
        <source>A system prompt for --print.</source>
        <translation>Ein System-Prompt für --print.</translation>
    </message>
    <message>
        <source>The answer&apos;s token limit (default 8192).</source>
        <translation>Das Token-Limit der Antwort (Standard 8192).</translation>
    </message>
    <message>
        <source>With --print: text, json or stream-json.</source>
        <translation>Mit --print: text, json oder stream-json.</translation>
    </message>
    <message>
        <source>With --print: add the turn to the most recent conversation in the history.</source>
        <translation>Mit --print: den Wortwechsel an die neueste Unterhaltung im Verlauf anhängen.</translation>
    </message>
    <message>
        <source>With --print: add the turn to this conversation in the history.</source>
        <translation>Mit --print: den Wortwechsel an diese Unterhaltung im Verlauf anhängen.</translation>
    </message>
    <message>
        <source>List the models the API offers.</source>
        <translation>Die Modelle auflisten, die die API anbietet.</translation>
    </message>
    <message>
        <source>The language of every text: en, de or ja (default: the system&apos;s language).</source>
        <translation>Die Sprache aller Texte: en, de oder ja (Standard: die Sprache des Systems).</translation>
    </message>
    <message>
        <source>Start the desktop app, print first-paint-ms once the chat window has painted, and exit (for benchmarks).</source>
        <translation>Die Desktop-App starten, first-paint-ms ausgeben, sobald das Chatfenster gezeichnet ist, und beenden (für Benchmarks).</translation>
    </message>
    <message>
        <source>With --print: the question.</source>
        <translation>Mit --print: die Frage.</translation>
    </message>
    <message>
        <source>Run qlaude --help for the options.</source>
        <translation>Führen Sie qlaude --help aus, um die Optionen zu sehen.</translation>
    </message>
    <message>
        <source>The workspace %1 does not exist.</source>
        <translation>Der Arbeitsbereich %1 existiert nicht.</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;. To ask a question, use qlaude --print &quot;question&quot;.</source>
        <translation>Unerwartetes Argument „%1“. Um eine Frage zu stellen, verwenden Sie qlaude --print &quot;Frage&quot;.</translation>
    </message>
    <message>
        <source>Unknown login method &quot;%1&quot;. Use --login=api-key or --login=oauth.</source>
        <translation>Unbekannte Anmeldemethode „%1“. Verwenden Sie --login=api-key oder --login=oauth.</translation>
    </message>
    <message>
        <source>--max-tokens must be a positive whole number.</source>
        <translation>--max-tokens muss eine positive ganze Zahl sein.</translation>
    </message>
    <message>
        <source>--conversation needs a conversation id (a positive number).</source>
        <translation>--conversation benötigt eine Unterhaltungs-ID (eine positive Zahl).</translation>
    </message>
    <message>
        <source>Use this named connection (with --login, --logout, --print, --list-models, --doctor or the desktop app); &quot;&quot; is &quot;From your settings&quot;.</source>
        <translation>Diese benannte Verbindung verwenden (mit --login, --logout, --print, --list-models, --doctor oder der Desktop-App); &quot;&quot; steht für „Aus Ihren Einstellungen“.</translation>
    </message>
    <message>
        <source>List the named connections (with --json: as JSON).</source>
        <translation>Die benannten Verbindungen auflisten (mit --json: als JSON).</translation>
    </message>
    <message>
        <source>Create or update a named connection from --settings FILE-OR-JSON (a settings layer with an optional &quot;provider&quot;; no secrets).</source>
        <translation>Eine benannte Verbindung aus --settings FILE-OR-JSON anlegen oder aktualisieren (eine Einstellungsebene mit optionalem &quot;provider&quot;; keine Geheimnisse).</translation>
    </message>
    <message>
        <source>Remove a named connection and its keychain entries.</source>
        <translation>Eine benannte Verbindung und ihre Schlüsselbund-Einträge entfernen.</translation>
    </message>
    <message>
        <source>With --workspace: bind the folder to a named connection (&quot;&quot; unbinds).</source>
        <translation>Mit --workspace: den Ordner einer benannten Verbindung zuordnen (&quot;&quot; hebt die Zuordnung auf).</translation>
    </message>
    <message>
        <source>--use-connection needs --workspace DIR: the folder to bind.</source>
        <translation>--use-connection benötigt --workspace DIR: den Ordner, der zugeordnet werden soll.</translation>
    </message>
</context>
<context>
    <name>qlaude::Composer</name>
    <message>
        <source>Message</source>
        <translation>Nachricht</translation>
    </message>
    <message>
        <source>Enter sends the message; Shift+Enter starts a new line.</source>
        <translation>Die Eingabetaste sendet die Nachricht; Umschalt+Eingabe beginnt eine neue Zeile.</translation>
    </message>
</context>
<context>
    <name>qlaude::ComposerPanel</name>
    <message>
        <source>System Prompt…</source>
        <translation>System-Prompt…</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Neu generieren</translation>
    </message>
    <message>
        <source>Composer</source>
        <translation>Eingabebereich</translation>
    </message>
    <message>
        <source>Cancel Edit</source>
        <translation>Bearbeitung abbrechen</translation>
    </message>
    <message>
        <source>Cancel edit</source>
        <translation>Bearbeitung abbrechen</translation>
    </message>
    <message>
        <source>Editing</source>
        <translation>Bearbeitung</translation>
    </message>
    <message>
        <source>Editing a sent message. Enter resends it and replaces the answers after it; Esc cancels.</source>
        <translation>Sie bearbeiten eine gesendete Nachricht. Die Eingabetaste sendet sie erneut und ersetzt die Antworten danach; Esc bricht ab.</translation>
    </message>
    <message>
        <source>Message Claude</source>
        <translation>Nachricht an Claude</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>The model that answers the next message</source>
        <translation>Das Modell, das die nächste Nachricht beantwortet</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>System-Prompt</translation>
    </message>
    <message>
        <source>Instructions Claude follows in this conversation</source>
        <translation>Anweisungen, die Claude in dieser Unterhaltung befolgt</translation>
    </message>
    <message>
        <source>Ask again for the last answer (Ctrl+R)</source>
        <translation>Die letzte Antwort erneut anfordern (Strg+R)</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Stoppen</translation>
    </message>
    <message>
        <source>Stop the answer and keep what arrived (Esc)</source>
        <translation>Die Antwort stoppen und behalten, was angekommen ist (Esc)</translation>
    </message>
    <message>
        <source>Resend</source>
        <translation>Erneut senden</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Senden</translation>
    </message>
    <message>
        <source>Send (Enter). Shift+Enter starts a new line.</source>
        <translation>Senden (Eingabetaste). Umschalt+Eingabe beginnt eine neue Zeile.</translation>
    </message>
    <message>
        <source>System Prompt (on)…</source>
        <translation>System-Prompt (an)…</translation>
    </message>
    <message>
        <source>Loading the list of models…</source>
        <translation>Modellliste wird geladen…</translation>
    </message>
    <message>
        <source>No models returned by the provider</source>
        <translation>Der Anbieter hat keine Modelle geliefert</translation>
    </message>
    <message>
        <source>%1. Messages go to %2.</source>
        <translation>%1. Nachrichten gehen an %2.</translation>
    </message>
    <message>
        <source>System Prompt</source>
        <translation>System-Prompt</translation>
    </message>
    <message>
        <source>Instructions Claude follows for this whole conversation, for example a role, a tone or rules. Leave it empty for none.</source>
        <translation>Anweisungen, die Claude in der gesamten Unterhaltung befolgt, zum Beispiel eine Rolle, ein Tonfall oder Regeln. Leer lassen für keine.</translation>
    </message>
    <message>
        <source>You are a concise assistant…</source>
        <translation>Du bist ein Assistent, der sich kurz fasst…</translation>
    </message>
</context>
<context>
    <name>qlaude::ConnectionCommands</name>
    <message>
        <source>From your settings</source>
        <translation>Aus Ihren Einstellungen</translation>
    </message>
    <message>
        <source>Claude Code&apos;s settings files, the environment and the keychain</source>
        <translation>Die Einstellungsdateien von Claude Code, die Umgebung und der Schlüsselbund</translation>
    </message>
    <message>
        <source>Connections (%1):</source>
        <translation>Verbindungen (%1):</translation>
    </message>
    <message>
        <source>(built-in) From your settings</source>
        <translation>(integriert) Aus Ihren Einstellungen</translation>
    </message>
    <message>
        <source>keychain: not read (%1)</source>
        <translation>Schlüsselbund: nicht gelesen (%1)</translation>
    </message>
    <message>
        <source>keychain: nothing stored</source>
        <translation>Schlüsselbund: nichts gespeichert</translation>
    </message>
    <message>
        <source>keychain: %1</source>
        <translation>Schlüsselbund: %1</translation>
    </message>
    <message>
        <source>used by %1</source>
        <translation>verwendet von %1</translation>
    </message>
    <message>
        <source>No named connections yet. Add one with: qlaude --add-connection NAME --settings &apos;{&quot;provider&quot;:&quot;anthropic&quot;,&quot;env&quot;:{&quot;ANTHROPIC_BASE_URL&quot;:&quot;https://...&quot;}}&apos;</source>
        <translation>Noch keine benannten Verbindungen. Fügen Sie eine hinzu mit: qlaude --add-connection NAME --settings &apos;{&quot;provider&quot;:&quot;anthropic&quot;,&quot;env&quot;:{&quot;ANTHROPIC_BASE_URL&quot;:&quot;https://...&quot;}}&apos;</translation>
    </message>
    <message>
        <source>&quot;%1&quot; cannot be a connection name: %2.</source>
        <translation>„%1“ kann kein Verbindungsname sein: %2.</translation>
    </message>
    <message>
        <source>--add-connection needs --settings with a JSON file or inline JSON, e.g. --settings &apos;{&quot;provider&quot;:&quot;bedrock&quot;,&quot;env&quot;:{&quot;AWS_REGION&quot;:&quot;eu-west-1&quot;}}&apos;.</source>
        <translation>--add-connection benötigt --settings mit einer JSON-Datei oder JSON direkt in der Befehlszeile, z. B. --settings &apos;{&quot;provider&quot;:&quot;bedrock&quot;,&quot;env&quot;:{&quot;AWS_REGION&quot;:&quot;eu-west-1&quot;}}&apos;.</translation>
    </message>
    <message>
        <source>The connection &quot;%1&quot; was not saved: %2</source>
        <translation>Die Verbindung „%1“ wurde nicht gespeichert: %2</translation>
    </message>
    <message>
        <source>Updated the connection &quot;%1&quot;: %2.</source>
        <translation>Die Verbindung „%1“ wurde aktualisiert: %2.</translation>
    </message>
    <message>
        <source>Added the connection &quot;%1&quot;: %2.</source>
        <translation>Die Verbindung „%1“ wurde hinzugefügt: %2.</translation>
    </message>
    <message>
        <source>Store its credential with: qlaude --connection %1 --login=api-key (or --login=oauth), or in the app under Settings &gt; Connections.</source>
        <translation>Speichern Sie ihre Anmeldedaten mit: qlaude --connection %1 --login=api-key (oder --login=oauth), oder in der App unter Einstellungen &gt; Verbindungen.</translation>
    </message>
    <message>
        <source>There is no connection named &quot;%1&quot;. See qlaude --connections.</source>
        <translation>Es gibt keine Verbindung namens „%1“. Siehe qlaude --connections.</translation>
    </message>
    <message>
        <source>The connection &quot;%1&quot; was not removed: its keychain entries cannot be removed now. %2</source>
        <translation>Die Verbindung „%1“ wurde nicht entfernt: Ihre Schlüsselbund-Einträge können jetzt nicht entfernt werden. %2</translation>
    </message>
    <message>
        <source>The connection &quot;%1&quot; was not removed: %2 (%3%4) could not be removed from the keychain. %5</source>
        <translation>Die Verbindung „%1“ wurde nicht entfernt: %2 (%3%4) konnte nicht aus dem Schlüsselbund entfernt werden. %5</translation>
    </message>
    <message>
        <source>Removed the connection &quot;%1&quot;.</source>
        <translation>Die Verbindung „%1“ wurde entfernt.</translation>
    </message>
    <message>
        <source>It had nothing in the keychain.</source>
        <translation>Sie hatte nichts im Schlüsselbund.</translation>
    </message>
    <message>
        <source>Removed from the keychain: %1</source>
        <translation>Aus dem Schlüsselbund entfernt: %1</translation>
    </message>
    <message>
        <source>%1 now uses &quot;From your settings&quot;.</source>
        <translation>%1 verwendet jetzt „Aus Ihren Einstellungen“.</translation>
    </message>
    <message>
        <source>%1 uses &quot;From your settings&quot; again.</source>
        <translation>%1 verwendet wieder „Aus Ihren Einstellungen“.</translation>
    </message>
    <message>
        <source>%1 now uses the connection &quot;%2&quot; (%3).</source>
        <translation>%1 verwendet jetzt die Verbindung „%2“ (%3).</translation>
    </message>
</context>
<context>
    <name>qlaude::ConnectionStore</name>
    <message>
        <source>There is no connection named &quot;%1&quot;. See qlaude --connections, or add it with qlaude --add-connection.</source>
        <translation>Es gibt keine Verbindung namens „%1“. Siehe qlaude --connections, oder fügen Sie sie mit qlaude --add-connection hinzu.</translation>
    </message>
    <message>
        <source>store the key with: qlaude --connection %1 --login=api-key</source>
        <translation>speichern Sie den Schlüssel mit: qlaude --connection %1 --login=api-key</translation>
    </message>
    <message>
        <source>store the token in the app: Settings &gt; Connections &gt; %1</source>
        <translation>speichern Sie das Token in der App: Einstellungen &gt; Verbindungen &gt; %1</translation>
    </message>
    <message>
        <source>sign in with: qlaude --connection %1 --login=oauth</source>
        <translation>melden Sie sich an mit: qlaude --connection %1 --login=oauth</translation>
    </message>
    <message>
        <source>store the key in the app: Settings &gt; Connections &gt; %1</source>
        <translation>speichern Sie den Schlüssel in der App: Einstellungen &gt; Verbindungen &gt; %1</translation>
    </message>
    <message>
        <source>store the secret in the app: Settings &gt; Connections &gt; %1</source>
        <translation>speichern Sie das Geheimnis in der App: Einstellungen &gt; Verbindungen &gt; %1</translation>
    </message>
    <message>
        <source>name an AWS profile (AWS_PROFILE) whose keys live in ~/.aws instead</source>
        <translation>geben Sie stattdessen ein AWS-Profil (AWS_PROFILE) an, dessen Schlüssel in ~/.aws liegen</translation>
    </message>
    <message>
        <source>store it in the app: Settings &gt; Network (the keychain)</source>
        <translation>speichern Sie den Wert in der App: Einstellungen &gt; Netzwerk (im Schlüsselbund)</translation>
    </message>
    <message>
        <source>Cannot write %1 (%2).</source>
        <translation>%1 kann nicht geschrieben werden (%2).</translation>
    </message>
    <message>
        <source>Cannot save %1 (%2).</source>
        <translation>%1 kann nicht gespeichert werden (%2).</translation>
    </message>
    <message>
        <source>profile %1</source>
        <translation>Profil %1</translation>
    </message>
    <message>
        <source>The workspace bindings cannot be used: %1. Fix or move the file aside.</source>
        <translation>Die Zuordnungen der Arbeitsbereiche können nicht verwendet werden: %1. Korrigieren Sie die Datei oder verschieben Sie sie an einen anderen Ort.</translation>
    </message>
    <message>
        <source>The connections file cannot be used: %1. Fix or move it aside; Qlaude does not write over it.</source>
        <translation>Die Verbindungsdatei kann nicht verwendet werden: %1. Korrigieren Sie sie oder verschieben Sie sie an einen anderen Ort; Qlaude überschreibt sie nicht.</translation>
    </message>
    <message>
        <source>unknown provider &quot;%1&quot;</source>
        <translation>unbekannter Anbieter „%1“</translation>
    </message>
    <message>
        <source>%1: the connection &quot;%2&quot; cannot be used: %3</source>
        <translation>%1: Die Verbindung „%2“ kann nicht verwendet werden: %3</translation>
    </message>
    <message>
        <source>The connections were not read yet.</source>
        <translation>Die Verbindungen wurden noch nicht gelesen.</translation>
    </message>
    <message>
        <source>a connection name has 1 to 64 letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;, and starts with a letter or digit</source>
        <translation>ein Verbindungsname besteht aus 1 bis 64 Buchstaben, Ziffern, &apos;.&apos;, &apos;_&apos; oder &apos;-&apos; und beginnt mit einem Buchstaben oder einer Ziffer</translation>
    </message>
    <message>
        <source>%1 is a secret, and connection settings are a plain file. Leave it out and %2.</source>
        <translation>%1 ist ein Geheimnis, und Verbindungseinstellungen sind eine gewöhnliche Datei. Lassen Sie den Wert weg und %2.</translation>
    </message>
    <message>
        <source>keep it in the environment or the keychain</source>
        <translation>bewahren Sie ihn in der Umgebung oder im Schlüsselbund auf</translation>
    </message>
    <message>
        <source>The custom header %1</source>
        <translation>Der eigene Header %1</translation>
    </message>
    <message>
        <source>store the credential in the keychain (Settings &gt; Connections &gt; %1)</source>
        <translation>speichern Sie die Anmeldedaten im Schlüsselbund (Einstellungen &gt; Verbindungen &gt; %1)</translation>
    </message>
    <message>
        <source>The password in %1</source>
        <translation>Das Passwort in %1</translation>
    </message>
    <message>
        <source>use proxyAuthHelper, or set the proxy in your environment</source>
        <translation>verwenden Sie proxyAuthHelper, oder setzen Sie den Proxy in Ihrer Umgebung</translation>
    </message>
    <message>
        <source>&quot;provider&quot; must be anthropic, bedrock, vertex or foundry, not &quot;%1&quot;</source>
        <translation>&quot;provider&quot; muss anthropic, bedrock, vertex oder foundry sein, nicht „%1“</translation>
    </message>
    <message>
        <source>A connection named &quot;%1&quot; exists already.</source>
        <translation>Eine Verbindung namens „%1“ existiert bereits.</translation>
    </message>
    <message>
        <source>There is no connection named &quot;%1&quot;. See qlaude --connections.</source>
        <translation>Es gibt keine Verbindung namens „%1“. Siehe qlaude --connections.</translation>
    </message>
    <message>
        <source>the API key</source>
        <translation>der API-Schlüssel</translation>
    </message>
    <message>
        <source>the OAuth login</source>
        <translation>die OAuth-Anmeldung</translation>
    </message>
    <message>
        <source>the gateway token</source>
        <translation>das Gateway-Token</translation>
    </message>
    <message>
        <source>the Bedrock API key</source>
        <translation>der Bedrock-API-Schlüssel</translation>
    </message>
    <message>
        <source>the Foundry API key</source>
        <translation>der Foundry-API-Schlüssel</translation>
    </message>
    <message>
        <source>the Azure client secret</source>
        <translation>der geheime Azure-Clientschlüssel</translation>
    </message>
    <message>
        <source>the client key passphrase</source>
        <translation>die Passphrase des Clientschlüssels</translation>
    </message>
</context>
<context>
    <name>qlaude::ConnectionSwitcher</name>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>From your settings</source>
        <translation>Aus Ihren Einstellungen</translation>
    </message>
    <message>
        <source>Connection &quot;%1&quot;: %2</source>
        <translation>Verbindung „%1“: %2</translation>
    </message>
    <message>
        <source>From your settings: Claude Code&apos;s settings files, the environment and the keychain.</source>
        <translation>Aus Ihren Einstellungen: die Einstellungsdateien von Claude Code, die Umgebung und der Schlüsselbund.</translation>
    </message>
    <message>
        <source>%1 (this folder)</source>
        <translation>%1 (dieser Ordner)</translation>
    </message>
    <message>
        <source>This folder is bound to it.</source>
        <translation>Dieser Ordner ist ihr zugeordnet.</translation>
    </message>
    <message>
        <source>The environment overrides this connection: %1 is used instead of its stored credential. Unset it to use the connection.</source>
        <translation>Die Umgebung überschreibt diese Verbindung: %1 wird statt ihrer gespeicherten Anmeldedaten verwendet. Entfernen Sie die Variable, um die Verbindung zu verwenden.</translation>
    </message>
    <message>
        <source>This folder is bound to &quot;%1&quot;.</source>
        <translation>Dieser Ordner ist „%1“ zugeordnet.</translation>
    </message>
    <message>
        <source>Claude Code&apos;s settings</source>
        <translation>Einstellungen von Claude Code</translation>
    </message>
    <message>
        <source>The connections cannot be read</source>
        <translation>Die Verbindungen können nicht gelesen werden</translation>
    </message>
    <message>
        <source>&amp;Use for This Folder</source>
        <translation>Für diesen &amp;Ordner verwenden</translation>
    </message>
    <message>
        <source>Open this folder with the current connection from now on.</source>
        <translation>Diesen Ordner ab jetzt mit der aktuellen Verbindung öffnen.</translation>
    </message>
    <message>
        <source>This folder opens with &quot;%1&quot;.</source>
        <translation>Dieser Ordner wird mit „%1“ geöffnet.</translation>
    </message>
    <message>
        <source>Folder not bound</source>
        <translation>Ordner nicht zugeordnet</translation>
    </message>
    <message>
        <source>&amp;Manage Connections…</source>
        <translation>Verbindungen &amp;verwalten…</translation>
    </message>
    <message>
        <source>Switch connections with Ctrl+Shift+A.</source>
        <translation>Verbindungen wechseln mit Strg+Umschalt+A.</translation>
    </message>
</context>
<context>
    <name>qlaude::ConnectionsPage</name>
    <message>
        <source>A connection is one account: a provider, its settings and its secrets. Switch between them in the status line (Ctrl+Shift+A). Settings are saved in %1; secrets only in the keychain.</source>
        <translation>Eine Verbindung ist ein Konto: ein Anbieter, seine Einstellungen und seine Geheimnisse. Wechseln Sie in der Statuszeile zwischen ihnen (Strg+Umschalt+A). Einstellungen werden in %1 gespeichert, Geheimnisse nur im Schlüsselbund.</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>Verbindungen</translation>
    </message>
    <message>
        <source>No connections yet. Add one for each account you use.</source>
        <translation>Noch keine Verbindungen. Fügen Sie für jedes Konto, das Sie verwenden, eine hinzu.</translation>
    </message>
    <message>
        <source>&amp;Add…</source>
        <translation>Hin&amp;zufügen…</translation>
    </message>
    <message>
        <source>Re&amp;name…</source>
        <translation>&amp;Umbenennen…</translation>
    </message>
    <message>
        <source>D&amp;uplicate</source>
        <translation>&amp;Duplizieren</translation>
    </message>
    <message>
        <source>&amp;Remove…</source>
        <translation>&amp;Entfernen…</translation>
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
        <translatorcomment>same as source</translatorcomment>
        <translation>Name:</translation>
    </message>
    <message>
        <source>&amp;Provider:</source>
        <translation>&amp;Anbieter:</translation>
    </message>
    <message>
        <source>https://api.anthropic.com (default)</source>
        <translation>https://api.anthropic.com (Standard)</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API-Schlüssel</translation>
    </message>
    <message>
        <source>Gateway token (Authorization: Bearer)</source>
        <translation>Gateway-Token (Authorization: Bearer)</translation>
    </message>
    <message>
        <source>Base &amp;URL:</source>
        <translation>Basis-U&amp;RL:</translation>
    </message>
    <message>
        <source>Credential:</source>
        <translation>Anmeldedaten:</translation>
    </message>
    <message>
        <source>&amp;Secret:</source>
        <translation>&amp;Geheimnis:</translation>
    </message>
    <message>
        <source>(the region&apos;s endpoint)</source>
        <translation>(der Endpunkt der Region)</translation>
    </message>
    <message>
        <source>optional: a Bedrock API key</source>
        <translation>optional: ein Bedrock-API-Schlüssel</translation>
    </message>
    <message>
        <source>Re&amp;gion:</source>
        <translation>&amp;Region:</translation>
    </message>
    <message>
        <source>AWS pro&amp;file:</source>
        <translation>AWS-Pro&amp;fil:</translation>
    </message>
    <message>
        <source>Endpoint:</source>
        <translation>Endpunkt:</translation>
    </message>
    <message>
        <source>API &amp;key:</source>
        <translation>API-Sch&amp;lüssel:</translation>
    </message>
    <message>
        <source>my-project</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>my-project</translation>
    </message>
    <message>
        <source>Google credentials come from Application Default Credentials (gcloud auth application-default login).</source>
        <translation>Die Google-Anmeldedaten stammen aus den Application Default Credentials (gcloud auth application-default login).</translation>
    </message>
    <message>
        <source>Project &amp;ID:</source>
        <translation>Projekt-&amp;ID:</translation>
    </message>
    <message>
        <source>my-resource</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>my-resource</translation>
    </message>
    <message>
        <source>(from the resource name)</source>
        <translation>(aus dem Ressourcennamen)</translation>
    </message>
    <message>
        <source>optional: else Microsoft Entra ID</source>
        <translation>optional: sonst Microsoft Entra ID</translation>
    </message>
    <message>
        <source>Resour&amp;ce:</source>
        <translation>Ressour&amp;ce:</translation>
    </message>
    <message>
        <source>(the default model)</source>
        <translation>(das Standardmodell)</translation>
    </message>
    <message>
        <source>Name: value, one per line (no credentials)</source>
        <translation>Name: Wert, einer pro Zeile (keine Anmeldedaten)</translation>
    </message>
    <message>
        <source>&amp;Model:</source>
        <translation>&amp;Modell:</translation>
    </message>
    <message>
        <source>Custom &amp;headers:</source>
        <translation>Eigene &amp;Header:</translation>
    </message>
    <message>
        <source>&amp;Test</source>
        <translation>&amp;Testen</translation>
    </message>
    <message>
        <source>Save Co&amp;nnection</source>
        <translation>Verbindung &amp;speichern</translation>
    </message>
    <message>
        <source>Not saved yet</source>
        <translation>Noch nicht gespeichert</translation>
    </message>
    <message>
        <source>Not saved yet: Save Connection stores it.</source>
        <translation>Noch nicht gespeichert: „Verbindung speichern“ speichert sie.</translation>
    </message>
    <message>
        <source>Nothing of it is in the keychain yet.</source>
        <translation>Noch nichts davon ist im Schlüsselbund.</translation>
    </message>
    <message>
        <source>In the keychain: %1. Type a new value to replace it.</source>
        <translation>Im Schlüsselbund: %1. Geben Sie einen neuen Wert ein, um ihn zu ersetzen.</translation>
    </message>
    <message>
        <source>unchanged (type to replace)</source>
        <translation>unverändert (zum Ersetzen eingeben)</translation>
    </message>
    <message>
        <source>Add Connection</source>
        <translation>Verbindung hinzufügen</translation>
    </message>
    <message>
        <source>A short name for the account (letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;), e.g. work or personal:</source>
        <translation>Ein kurzer Name für das Konto (Buchstaben, Ziffern, &apos;.&apos;, &apos;_&apos; oder &apos;-&apos;), z. B. arbeit oder privat:</translation>
    </message>
    <message>
        <source>&quot;%1&quot; cannot be a connection name: %2.</source>
        <translation>„%1“ kann kein Verbindungsname sein: %2.</translation>
    </message>
    <message>
        <source>A connection named &quot;%1&quot; exists already.</source>
        <translation>Eine Verbindung namens „%1“ existiert bereits.</translation>
    </message>
    <message>
        <source>Choose the provider and fill in &quot;%1&quot;, then Save Connection.</source>
        <translation>Wählen Sie den Anbieter, füllen Sie die Felder für „%1“ aus und klicken Sie dann auf „Verbindung speichern“.</translation>
    </message>
    <message>
        <source>Saving &quot;%1&quot;…</source>
        <translation>„%1“ wird gespeichert…</translation>
    </message>
    <message>
        <source>Saved &quot;%1&quot; (%2).</source>
        <translation>„%1“ wurde gespeichert (%2).</translation>
    </message>
    <message>
        <source>The secret was not saved, so neither was the connection. %1</source>
        <translation>Das Geheimnis wurde nicht gespeichert, daher auch die Verbindung nicht. %1</translation>
    </message>
    <message>
        <source>Rename Connection</source>
        <translation>Verbindung umbenennen</translation>
    </message>
    <message>
        <source>New name for &quot;%1&quot;:</source>
        <translation>Neuer Name für „%1“:</translation>
    </message>
    <message>
        <source>Renaming &quot;%1&quot; to &quot;%2&quot;…</source>
        <translation>„%1“ wird in „%2“ umbenannt…</translation>
    </message>
    <message>
        <source>&quot;%1&quot; was not renamed: %2</source>
        <translation>„%1“ wurde nicht umbenannt: %2</translation>
    </message>
    <message>
        <source>Renamed &quot;%1&quot; to &quot;%2&quot;; its keychain entries moved with it.</source>
        <translation>„%1“ wurde in „%2“ umbenannt; die Schlüsselbund-Einträge wurden mit übernommen.</translation>
    </message>
    <message>
        <source>Duplicating &quot;%1&quot;…</source>
        <translation>„%1“ wird dupliziert…</translation>
    </message>
    <message>
        <source>&quot;%1&quot; was not duplicated: %2</source>
        <translation>„%1“ wurde nicht dupliziert: %2</translation>
    </message>
    <message>
        <source>Duplicated &quot;%1&quot; as &quot;%2&quot;, with its secrets.</source>
        <translation>„%1“ wurde samt Geheimnissen als „%2“ dupliziert.</translation>
    </message>
    <message>
        <source>Remove the connection &quot;%1&quot; and its secrets in the keychain?</source>
        <translation>Die Verbindung „%1“ und ihre Geheimnisse im Schlüsselbund entfernen?</translation>
    </message>
    <message>
        <source>These folders go back to &quot;From your settings&quot;: %1</source>
        <translation>Diese Ordner verwenden wieder „Aus Ihren Einstellungen“: %1</translation>
    </message>
    <message>
        <source>Remove Connection</source>
        <translation>Verbindung entfernen</translation>
    </message>
    <message>
        <source>Removing &quot;%1&quot;…</source>
        <translation>„%1“ wird entfernt…</translation>
    </message>
    <message>
        <source>&quot;%1&quot; was not removed: its keychain entries could not be removed. %2</source>
        <translation>„%1“ wurde nicht entfernt: Die Schlüsselbund-Einträge konnten nicht entfernt werden. %2</translation>
    </message>
    <message>
        <source>Removed &quot;%1&quot;; it had nothing in the keychain.</source>
        <translation>„%1“ wurde entfernt; im Schlüsselbund war nichts gespeichert.</translation>
    </message>
    <message>
        <source>Removed &quot;%1&quot; and, from the keychain, %2.</source>
        <translation>„%1“ wurde entfernt, aus dem Schlüsselbund außerdem: %2.</translation>
    </message>
    <message>
        <source>Testing &quot;%1&quot; as shown…</source>
        <translation>„%1“ wird wie angezeigt getestet…</translation>
    </message>
    <message>
        <source>It works: %1 answered in %2 ms.</source>
        <translation>Es funktioniert: %1 hat in %2 ms geantwortet.</translation>
    </message>
    <message numerus="yes">
        <source>It works: %1 answered in %2 ms and lists %n model(s).</source>
        <translation>
            <numerusform>Es funktioniert: %1 hat in %2 ms geantwortet und listet %n Modell auf.</numerusform>
            <numerusform>Es funktioniert: %1 hat in %2 ms geantwortet und listet %n Modelle auf.</numerusform>
        </translation>
    </message>
    <message>
        <source>Note: %1 in the environment overrides this connection.</source>
        <translation>Hinweis: %1 in der Umgebung überschreibt diese Verbindung.</translation>
    </message>
</context>
<context>
    <name>qlaude::ConversationListModel</name>
    <message>
        <source>Yesterday</source>
        <translation>Gestern</translation>
    </message>
    <message>
        <source>Untitled conversation</source>
        <translation>Unbenannte Unterhaltung</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1, %2</translation>
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
        <translation>Neuer Chat</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Unterhaltungen</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>Neuer Chat</translation>
    </message>
    <message>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>Eine neue Unterhaltung beginnen (Strg+N)</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>Unterhaltungen durchsuchen</translation>
    </message>
    <message>
        <source>Search (Ctrl+K)</source>
        <translation>Suchen (Strg+K)</translation>
    </message>
    <message>
        <source>Conversation list</source>
        <translation>Unterhaltungsliste</translation>
    </message>
    <message>
        <source>Conversation deleted</source>
        <translation>Unterhaltung gelöscht</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Rückgängig</translation>
    </message>
    <message>
        <source>Undo delete</source>
        <translation>Löschen rückgängig machen</translation>
    </message>
    <message>
        <source>History unavailable</source>
        <translation>Verlauf nicht verfügbar</translation>
    </message>
    <message>
        <source>Conversations in this window are not saved.</source>
        <translation>Unterhaltungen in diesem Fenster werden nicht gespeichert.</translation>
    </message>
    <message>
        <source>No matches for “%1”</source>
        <translation>Keine Treffer für „%1“</translation>
    </message>
    <message>
        <source>Try fewer or different words. Search matches whole words and the beginnings of words.</source>
        <translation>Versuchen Sie weniger oder andere Wörter. Die Suche findet ganze Wörter und Wortanfänge.</translation>
    </message>
    <message>
        <source>No conversations yet</source>
        <translation>Noch keine Unterhaltungen</translation>
    </message>
    <message>
        <source>Your chats will appear here. Write a message below to start one.</source>
        <translation>Ihre Chats erscheinen hier. Schreiben Sie unten eine Nachricht, um einen zu beginnen.</translation>
    </message>
    <message>
        <source>“%1” deleted.</source>
        <translation>„%1“ gelöscht.</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Umbenennen…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
</context>
<context>
    <name>qlaude::ConversationStore</name>
    <message>
        <source>The chat history is not open.</source>
        <translation>Der Chatverlauf ist nicht geöffnet.</translation>
    </message>
    <message>
        <source>Conversation %1 does not exist.</source>
        <translation>Unterhaltung %1 existiert nicht.</translation>
    </message>
    <message>
        <source>Message %1 does not exist.</source>
        <translation>Nachricht %1 existiert nicht.</translation>
    </message>
    <message>
        <source>Message %1 is still streaming; finish it before editing it.</source>
        <translation>Nachricht %1 wird noch empfangen; schließen Sie sie ab, bevor Sie sie bearbeiten.</translation>
    </message>
    <message>
        <source>Saving the answer being received failed; it is kept in memory and saved again shortly. %1</source>
        <translation>Das Speichern der eingehenden Antwort ist fehlgeschlagen; sie wird im Arbeitsspeicher behalten und in Kürze erneut gespeichert. %1</translation>
    </message>
    <message>
        <source>This message has no version %1; it has %2.</source>
        <translation>Diese Nachricht hat keine Version %1; sie hat %2.</translation>
    </message>
</context>
<context>
    <name>qlaude::CredentialSigner</name>
    <message>
        <source>The credential from %1 contains a line break or control character</source>
        <translation>Die Anmeldedaten aus %1 enthalten einen Zeilenumbruch oder ein Steuerzeichen</translation>
    </message>
    <message>
        <source>Store the key again without extra lines, or fix the source shown by qlaude --doctor.</source>
        <translation>Speichern Sie den Schlüssel ohne zusätzliche Zeilen erneut, oder korrigieren Sie die Quelle, die qlaude --doctor anzeigt.</translation>
    </message>
    <message>
        <source>No credential is available</source>
        <translation>Es sind keine Anmeldedaten verfügbar</translation>
    </message>
    <message>
        <source>Log in, or set ANTHROPIC_API_KEY.</source>
        <translation>Melden Sie sich an, oder setzen Sie ANTHROPIC_API_KEY.</translation>
    </message>
    <message>
        <source>Fix the credential source shown by qlaude --doctor, then try again.</source>
        <translation>Korrigieren Sie die Quelle der Anmeldedaten, die qlaude --doctor anzeigt, und versuchen Sie es dann erneut.</translation>
    </message>
</context>
<context>
    <name>qlaude::DoctorDialog</name>
    <message>
        <source>Qlaude Doctor</source>
        <translation>Qlaude-Diagnose</translation>
    </message>
    <message>
        <source>Doctor report</source>
        <translation>Diagnosebericht</translation>
    </message>
    <message>
        <source>Where Qlaude finds its credential and settings, and what stops a request. Copy redacts anything that looks like a secret, so you can paste it into a bug report.</source>
        <translation>Wo Qlaude seine Anmeldedaten und Einstellungen findet und was eine Anfrage verhindert. „Kopieren“ schwärzt alles, was wie ein Geheimnis aussieht, sodass Sie den Bericht in einen Fehlerbericht einfügen können.</translation>
    </message>
    <message>
        <source>Verdict</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>Status</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Status</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Aktualisieren</translation>
    </message>
    <message>
        <source>Read the settings and the keychain again</source>
        <translation>Einstellungen und Schlüsselbund erneut lesen</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Kopieren</translation>
    </message>
    <message>
        <source>Copy report</source>
        <translation>Bericht kopieren</translation>
    </message>
    <message>
        <source>Copy the report, with secrets redacted</source>
        <translation>Den Bericht kopieren, Geheimnisse geschwärzt</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>There is no report yet: Qlaude has not loaded its settings.</source>
        <translation>Es gibt noch keinen Bericht: Qlaude hat seine Einstellungen nicht geladen.</translation>
    </message>
    <message>
        <source>Ready: %1</source>
        <translation>Bereit: %1</translation>
    </message>
    <message>
        <source>Still worth fixing: %1</source>
        <translation>Trotzdem beheben: %1</translation>
    </message>
    <message>
        <source>Not ready: %1</source>
        <translation>Nicht bereit: %1</translation>
    </message>
    <message>
        <source>Copied, with secrets redacted.</source>
        <translation>Kopiert, Geheimnisse geschwärzt.</translation>
    </message>
    <message>
        <source>Reading the settings and the keychain again…</source>
        <translation>Einstellungen und Schlüsselbund werden erneut gelesen…</translation>
    </message>
    <message>
        <source>Updated.</source>
        <translation>Aktualisiert.</translation>
    </message>
</context>
<context>
    <name>qlaude::DoctorReport</name>
    <message>
        <source>default</source>
        <translation>Standard</translation>
    </message>
    <message>
        <source>the region&apos;s Bedrock endpoint</source>
        <translation>der Bedrock-Endpunkt der Region</translation>
    </message>
    <message>
        <source>the region&apos;s Vertex AI endpoint</source>
        <translation>der Vertex-AI-Endpunkt der Region</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>nicht festgelegt</translation>
    </message>
    <message>
        <source>--bare does not read the keychain.</source>
        <translation>--bare liest den Schlüsselbund nicht.</translation>
    </message>
    <message>
        <source>none (NO_PROXY matches %1; otherwise %2)</source>
        <translation>keiner (NO_PROXY trifft auf %1 zu; sonst %2)</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS sets %1 (%2), but Qlaude sends its own credential from %3, so that custom header is not sent. Remove the header, or remove the credential to send yours.</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS setzt %1 (%2), aber Qlaude sendet seine eigenen Anmeldedaten aus %3, daher wird dieser eigene Header nicht gesendet. Entfernen Sie den Header, oder entfernen Sie die Anmeldedaten, um Ihren Header zu senden.</translation>
    </message>
    <message>
        <source>ANTHROPIC_BASE_URL (%1) is not an http(s) URL.</source>
        <translation>ANTHROPIC_BASE_URL (%1) ist keine http(s)-URL.</translation>
    </message>
    <message>
        <source>Network:</source>
        <translation>Netzwerk:</translation>
    </message>
    <message>
        <source>proxy: none</source>
        <translation>Proxy: keiner</translation>
    </message>
    <message>
        <source>proxy: %1 (from %2)</source>
        <translation>Proxy: %1 (aus %2)</translation>
    </message>
    <message>
        <source>%1 (selected)</source>
        <translation>%1 (ausgewählt)</translation>
    </message>
    <message>
        <source>direct</source>
        <translation>direkt</translation>
    </message>
    <message>
        <source>through %1</source>
        <translation>über %1</translation>
    </message>
    <message>
        <source>certificates: %1</source>
        <translation>Zertifikate: %1</translation>
    </message>
    <message>
        <source>the system store</source>
        <translation>der Zertifikatspeicher des Systems</translation>
    </message>
    <message>
        <source>SSL_CERT_FILE instead of the system store</source>
        <translation>SSL_CERT_FILE statt des Zertifikatspeichers des Systems</translation>
    </message>
    <message>
        <source>(unusable)</source>
        <translation>(unbrauchbar)</translation>
    </message>
    <message>
        <source>(1 certificate)</source>
        <translation>(1 Zertifikat)</translation>
    </message>
    <message>
        <source>(%1 certificates)</source>
        <translation>(%1 Zertifikate)</translation>
    </message>
    <message>
        <source>client certificate: none</source>
        <translation>Client-Zertifikat: keines</translation>
    </message>
    <message>
        <source>client certificate: %1</source>
        <translation>Client-Zertifikat: %1</translation>
    </message>
    <message>
        <source>subject %1, issued by %2</source>
        <translation>Inhaber %1, ausgestellt von %2</translation>
    </message>
    <message>
        <source>expires %1 (in %2 days)</source>
        <translation>läuft ab am %1 (in %2 Tagen)</translation>
    </message>
    <message>
        <source>key %1</source>
        <translation>Schlüssel %1</translation>
    </message>
    <message>
        <source>, passphrase from %1</source>
        <translation>, Passphrase aus %1</translation>
    </message>
    <message>
        <source>proxyAuthHelper: from %1</source>
        <translation>proxyAuthHelper: aus %1</translation>
    </message>
    <message>
        <source>, runs on a 407, answer kept %1 s</source>
        <translation>, läuft bei einem 407, Antwort wird %1 s aufbewahrt</translation>
    </message>
    <message>
        <source>, does not run: %1</source>
        <translation>, läuft nicht: %1</translation>
    </message>
    <message>
        <source>Workspace:</source>
        <translation>Arbeitsbereich:</translation>
    </message>
    <message>
        <source>Provider:</source>
        <translation>Anbieter:</translation>
    </message>
    <message>
        <source>Credential:</source>
        <translation>Anmeldedaten:</translation>
    </message>
    <message>
        <source>Qlaude %1 doctor</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Qlaude %1 doctor</translation>
    </message>
    <message>
        <source>command: %1</source>
        <translation>Befehl: %1</translation>
    </message>
    <message>
        <source>Credential sources, in priority order:</source>
        <translation>Quellen für Anmeldedaten, nach Priorität:</translation>
    </message>
    <message>
        <source>Settings files (later wins):</source>
        <translation>Einstellungsdateien (spätere haben Vorrang):</translation>
    </message>
    <message>
        <source>Workspace trust: %1</source>
        <translation>Vertrauen in den Arbeitsbereich: %1</translation>
    </message>
    <message>
        <source>trusted</source>
        <translation>vertrauenswürdig</translation>
    </message>
    <message>
        <source>not trusted</source>
        <translation>nicht vertrauenswürdig</translation>
    </message>
    <message>
        <source>waiting for approval: %1 from %2</source>
        <translation>wartet auf Genehmigung: %1 aus %2</translation>
    </message>
    <message>
        <source>(approved before: %1)</source>
        <translation>(zuvor genehmigt: %1)</translation>
    </message>
    <message>
        <source>Keychain: %1</source>
        <translation>Schlüsselbund: %1</translation>
    </message>
    <message>
        <source>OAuth:</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>OAuth:</translation>
    </message>
    <message>
        <source>%1 login stored</source>
        <translation>%1-Anmeldung gespeichert</translation>
    </message>
    <message>
        <source>, access token expired %1</source>
        <translation>, Zugriffstoken abgelaufen am %1</translation>
    </message>
    <message>
        <source>, access token expires %1</source>
        <translation>, Zugriffstoken läuft ab am %1</translation>
    </message>
    <message>
        <source>, refreshable</source>
        <translation>, erneuerbar</translation>
    </message>
    <message>
        <source>, not refreshable</source>
        <translation>, nicht erneuerbar</translation>
    </message>
    <message>
        <source>scopes: %1</source>
        <translation>Bereiche: %1</translation>
    </message>
    <message>
        <source>no login stored</source>
        <translation>keine Anmeldung gespeichert</translation>
    </message>
    <message>
        <source>available (client id from %1, endpoints from %2)</source>
        <translation>verfügbar (Client-ID aus %1, Endpunkte aus %2)</translation>
    </message>
    <message>
        <source>unavailable: %1</source>
        <translation>nicht verfügbar: %1</translation>
    </message>
    <message>
        <source>ignored: %1</source>
        <translation>ignoriert: %1</translation>
    </message>
    <message>
        <source>Credential check:</source>
        <translation>Prüfung der Anmeldedaten:</translation>
    </message>
    <message>
        <source>fetched %1 in %2 ms</source>
        <translation>%1 in %2 ms abgerufen</translation>
    </message>
    <message>
        <source>, expires %1 (in %2 min)</source>
        <translation>, läuft ab am %1 (in %2 min)</translation>
    </message>
    <message>
        <source>, no expiry</source>
        <translation>, kein Ablauf</translation>
    </message>
    <message>
        <source>failed: %1</source>
        <translation>fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Providers:</source>
        <translation>Alle Anbieter:</translation>
    </message>
    <message>
        <source>configured</source>
        <translation>konfiguriert</translation>
    </message>
    <message>
        <source>not configured</source>
        <translation>nicht konfiguriert</translation>
    </message>
    <message>
        <source>%1 from %2</source>
        <translation>%1 aus %2</translation>
    </message>
    <message>
        <source>missing: %1</source>
        <translation>fehlt: %1</translation>
    </message>
    <message>
        <source>Requests:</source>
        <translation>Anfragen:</translation>
    </message>
    <message>
        <source>%1 (%2), timeout %3 ms</source>
        <translation>%1 (%2), Zeitlimit %3 ms</translation>
    </message>
    <message>
        <source>, custom headers: %1</source>
        <translation>, eigene Header: %1</translation>
    </message>
    <message>
        <source>, additional protection on</source>
        <translation>, zusätzlicher Schutz an</translation>
    </message>
    <message>
        <source>proxy: %1</source>
        <translation>Proxy: %1</translation>
    </message>
    <message>
        <source>Warnings:</source>
        <translation>Warnungen:</translation>
    </message>
    <message>
        <source>Problems:</source>
        <translation>Probleme:</translation>
    </message>
    <message>
        <source>Ready: a usable credential was found.</source>
        <translation>Bereit: Es wurden nutzbare Anmeldedaten gefunden.</translation>
    </message>
    <message>
        <source>Not ready: no usable credential.</source>
        <translation>Nicht bereit: keine nutzbaren Anmeldedaten.</translation>
    </message>
    <message>
        <source>Connection:</source>
        <translation>Verbindung:</translation>
    </message>
    <message>
        <source>From your settings</source>
        <translation>Aus Ihren Einstellungen</translation>
    </message>
</context>
<context>
    <name>qlaude::ErrorBanner</name>
    <message>
        <source>Notice</source>
        <translation>Hinweis</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Schließen</translation>
    </message>
</context>
<context>
    <name>qlaude::FoundryConfig</name>
    <message>
        <source>ANTHROPIC_FOUNDRY_BASE_URL (%1) is not an http(s) URL such as https://my-resource.services.ai.azure.com/anthropic</source>
        <translation>ANTHROPIC_FOUNDRY_BASE_URL (%1) ist keine http(s)-URL wie https://my-resource.services.ai.azure.com/anthropic</translation>
    </message>
    <message>
        <source>Neither ANTHROPIC_FOUNDRY_RESOURCE nor ANTHROPIC_FOUNDRY_BASE_URL is set: set ANTHROPIC_FOUNDRY_RESOURCE to your Foundry resource name (the &quot;my-resource&quot; of my-resource.services.ai.azure.com)</source>
        <translation>Weder ANTHROPIC_FOUNDRY_RESOURCE noch ANTHROPIC_FOUNDRY_BASE_URL ist gesetzt: Setzen Sie ANTHROPIC_FOUNDRY_RESOURCE auf den Namen Ihrer Foundry-Ressource (das „my-resource“ in my-resource.services.ai.azure.com)</translation>
    </message>
    <message>
        <source>ANTHROPIC_FOUNDRY_RESOURCE (%1) is not a resource name: use the name alone (letters, digits and &apos;-&apos;), not a URL</source>
        <translation>ANTHROPIC_FOUNDRY_RESOURCE (%1) ist kein Ressourcenname: Verwenden Sie nur den Namen (Buchstaben, Ziffern und „-“), keine URL</translation>
    </message>
</context>
<context>
    <name>qlaude::HistoryFile</name>
    <message>
        <source>Cannot create the folder &quot;%1&quot; for the chat history. Check that its parent folder exists and is writable.</source>
        <translation>Der Ordner „%1“ für den Chatverlauf kann nicht erstellt werden. Prüfen Sie, ob der übergeordnete Ordner existiert und beschreibbar ist.</translation>
    </message>
    <message>
        <source>Cannot create the chat history &quot;%1&quot;. Check that its folder is writable.</source>
        <translation>Der Chatverlauf „%1“ kann nicht erstellt werden. Prüfen Sie, ob sein Ordner beschreibbar ist.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is a folder or a special file, not a chat history. Choose a file path for the history.</source>
        <translation>„%1“ ist ein Ordner oder eine Spezialdatei, kein Chatverlauf. Wählen Sie einen Dateipfad für den Verlauf.</translation>
    </message>
    <message>
        <source>Cannot read the chat history &quot;%1&quot; (%2). Check the file&apos;s permissions.</source>
        <translation>Der Chatverlauf „%1“ kann nicht gelesen werden (%2). Prüfen Sie die Berechtigungen der Datei.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a Qlaude chat history (it is not an SQLite database). Move it aside or choose another file; Qlaude has not changed it.</source>
        <translation>„%1“ ist kein Qlaude-Chatverlauf (keine SQLite-Datenbank). Verschieben Sie die Datei oder wählen Sie eine andere; Qlaude hat sie nicht verändert.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; cannot be read as a chat history (%2). Move the file aside or choose another one; Qlaude has not changed it.</source>
        <translation>„%1“ kann nicht als Chatverlauf gelesen werden (%2). Verschieben Sie die Datei oder wählen Sie eine andere; Qlaude hat sie nicht verändert.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is an SQLite database but not a Qlaude chat history. Move it aside or choose another file; Qlaude has not changed it.</source>
        <translation>„%1“ ist eine SQLite-Datenbank, aber kein Qlaude-Chatverlauf. Verschieben Sie die Datei oder wählen Sie eine andere; Qlaude hat sie nicht verändert.</translation>
    </message>
    <message>
        <source>The chat history &quot;%1&quot; was written by a newer version of Qlaude (format %2; this version knows up to %3). Update Qlaude to open it; the file has not been changed.</source>
        <translation>Der Chatverlauf „%1“ wurde von einer neueren Qlaude-Version geschrieben (Format %2; diese Version kennt bis %3). Aktualisieren Sie Qlaude, um ihn zu öffnen; die Datei wurde nicht verändert.</translation>
    </message>
    <message>
        <source>SQLite did not switch the file to WAL mode; a file system without shared memory (a network share) cannot hold it.</source>
        <translation>SQLite hat die Datei nicht in den WAL-Modus umgeschaltet; ein Dateisystem ohne gemeinsamen Speicher (eine Netzwerkfreigabe) kann sie nicht aufnehmen.</translation>
    </message>
    <message>
        <source>Cannot prepare the chat history &quot;%1&quot;: %2 Keep the history on a local disk with free space.</source>
        <translation>Der Chatverlauf „%1“ kann nicht vorbereitet werden: %2 Legen Sie den Verlauf auf einem lokalen Datenträger mit freiem Speicherplatz ab.</translation>
    </message>
    <message>
        <source>Updating the chat history &quot;%1&quot; to the current format failed and nothing was changed. Free some disk space and restart Qlaude. Details: %2</source>
        <translation>Die Aktualisierung des Chatverlaufs „%1“ auf das aktuelle Format ist fehlgeschlagen, und es wurde nichts geändert. Geben Sie Speicherplatz frei und starten Sie Qlaude neu. Details: %2</translation>
    </message>
    <message>
        <source>Cannot recover the answers that were cut off when Qlaude last stopped, in &quot;%1&quot;. Details: %2</source>
        <translation>Die Antworten, die beim letzten Beenden von Qlaude abgeschnitten wurden, können in „%1“ nicht wiederhergestellt werden. Details: %2</translation>
    </message>
    <message>
        <source>Qt&apos;s SQLite driver is missing, so the chat history cannot be opened. Install the package libqt6sql6-sqlite.</source>
        <translation>Der SQLite-Treiber von Qt fehlt, daher kann der Chatverlauf nicht geöffnet werden. Installieren Sie das Paket libqt6sql6-sqlite.</translation>
    </message>
    <message>
        <source>Cannot open the chat history &quot;%1&quot; (%2). Check that the file and its folder are readable and writable.</source>
        <translation>Der Chatverlauf „%1“ kann nicht geöffnet werden (%2). Prüfen Sie, ob die Datei und ihr Ordner lesbar und beschreibbar sind.</translation>
    </message>
</context>
<context>
    <name>qlaude::HistorySchema</name>
    <message>
        <source>The chat history database did not report its version.</source>
        <translation>Die Chatverlaufsdatenbank hat ihre Version nicht gemeldet.</translation>
    </message>
</context>
<context>
    <name>qlaude::HistorySql</name>
    <message>
        <source>unknown SQLite error</source>
        <translation>unbekannter SQLite-Fehler</translation>
    </message>
    <message>
        <source>The chat history database reported &quot;%1&quot; while running &quot;%2&quot;.</source>
        <translation>Die Chatverlaufsdatenbank hat „%1“ gemeldet, beim Ausführen von „%2“.</translation>
    </message>
</context>
<context>
    <name>qlaude::Jwt</name>
    <message>
        <source>the private key is not an unencrypted PEM private key</source>
        <translation>der private Schlüssel ist kein unverschlüsselter privater PEM-Schlüssel</translation>
    </message>
    <message>
        <source>the private key is not an RSA key (RS256 needs one)</source>
        <translation>der private Schlüssel ist kein RSA-Schlüssel (RS256 benötigt einen)</translation>
    </message>
    <message>
        <source>OpenSSL could not sign with the private key</source>
        <translation>OpenSSL konnte mit dem privaten Schlüssel nicht signieren</translation>
    </message>
    <message>
        <source>not a compact JWT</source>
        <translation>kein kompaktes JWT</translation>
    </message>
    <message>
        <source>the JWT header or claims are not JSON objects</source>
        <translation>der JWT-Header oder die Claims sind keine JSON-Objekte</translation>
    </message>
    <message>
        <source>the JWT is not RS256</source>
        <translation>das JWT ist nicht RS256</translation>
    </message>
    <message>
        <source>no public key to check the JWT with</source>
        <translation>kein öffentlicher Schlüssel zum Prüfen des JWT</translation>
    </message>
    <message>
        <source>the JWT signature does not match the key</source>
        <translation>die JWT-Signatur passt nicht zum Schlüssel</translation>
    </message>
    <message>
        <source>the file holds no PEM certificate</source>
        <translation>die Datei enthält kein PEM-Zertifikat</translation>
    </message>
</context>
<context>
    <name>qlaude::KeychainStore</name>
    <message>
        <source>The keychain is available.</source>
        <translation>Der Schlüsselbund ist verfügbar.</translation>
    </message>
    <message>
        <source>The keychain is locked. Unlock it (for example by logging in to your desktop session or opening Passwords and Keys) and try again.</source>
        <translation>Der Schlüsselbund ist gesperrt. Entsperren Sie ihn (zum Beispiel, indem Sie sich bei Ihrer Desktop-Sitzung anmelden oder „Passwörter und Verschlüsselung“ öffnen) und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>No keychain is available%1. Start a Secret Service such as gnome-keyring or KWallet in your session; until then Qlaude keeps secrets in memory for this run only and never writes them to disk.</source>
        <translation>Es ist kein Schlüsselbund verfügbar%1. Starten Sie in Ihrer Sitzung einen Secret Service wie gnome-keyring oder KWallet; bis dahin behält Qlaude Geheimnisse nur für diese Sitzung im Arbeitsspeicher und schreibt sie nie auf die Festplatte.</translation>
    </message>
    <message>
        <source>no D-Bus session bus</source>
        <translation>kein D-Bus-Sitzungsbus</translation>
    </message>
    <message>
        <source>no Secret Service on the session bus</source>
        <translation>kein Secret Service auf dem Sitzungsbus</translation>
    </message>
    <message>
        <source>the keyring has no default collection</source>
        <translation>der Schlüsselring hat keine Standardsammlung</translation>
    </message>
    <message>
        <source>The keychain entry &quot;%1&quot; is damaged. Sign in or save it again.</source>
        <translation>Der Schlüsselbund-Eintrag „%1“ ist beschädigt. Melden Sie sich an oder speichern Sie ihn erneut.</translation>
    </message>
    <message>
        <source>A part of the keychain entry &quot;%1&quot; is missing. Sign in or save it again.</source>
        <translation>Ein Teil des Schlüsselbund-Eintrags „%1“ fehlt. Melden Sie sich an oder speichern Sie ihn erneut.</translation>
    </message>
    <message>
        <source>Nothing is stored in the keychain under &quot;%1&quot;.</source>
        <translation>Im Schlüsselbund ist unter „%1“ nichts gespeichert.</translation>
    </message>
    <message>
        <source>The keychain refused access (%1). Unlock it or allow Qlaude and try again.</source>
        <translation>Der Schlüsselbund hat den Zugriff verweigert (%1). Entsperren Sie ihn oder erlauben Sie Qlaude den Zugriff und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>The keychain reported an error: %1. Try again; if it persists, check your Secret Service.</source>
        <translation>Der Schlüsselbund hat einen Fehler gemeldet: %1. Versuchen Sie es erneut; wenn der Fehler bleibt, prüfen Sie Ihren Secret Service.</translation>
    </message>
    <message>
        <source>Nothing was stored under &quot;%1&quot;.</source>
        <translation>Unter „%1“ war nichts gespeichert.</translation>
    </message>
</context>
<context>
    <name>qlaude::LoginDialog</name>
    <message>
        <source>Log in to Claude</source>
        <translation>Bei Claude anmelden</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Anmelden</translation>
    </message>
    <message>
        <source>Connect Qlaude to Claude</source>
        <translation>Qlaude mit Claude verbinden</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Titel</translation>
    </message>
    <message>
        <source>Qlaude checks the key with one small request, then keeps it in your system keychain, never in a file.</source>
        <translation>Qlaude prüft den Schlüssel mit einer kleinen Anfrage und bewahrt ihn dann im Schlüsselbund Ihres Systems auf, nie in einer Datei.</translation>
    </message>
    <message>
        <source>Introduction</source>
        <translation>Einleitung</translation>
    </message>
    <message>
        <source>Credential already provided</source>
        <translation>Anmeldedaten bereits vorhanden</translation>
    </message>
    <message>
        <source>&amp;API key</source>
        <translation>&amp;API-Schlüssel</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API-Schlüssel</translation>
    </message>
    <message>
        <source>sk-ant-api03-…</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>sk-ant-api03-…</translation>
    </message>
    <message>
        <source>Create a key in the Claude Console under API keys. Qlaude sends it as x-api-key.</source>
        <translation>Erstellen Sie einen Schlüssel in der Claude Console unter „API keys“. Qlaude sendet ihn als x-api-key.</translation>
    </message>
    <message>
        <source>About API keys</source>
        <translation>Über API-Schlüssel</translation>
    </message>
    <message>
        <source>&amp;Bearer token (for an LLM gateway)</source>
        <translation>&amp;Bearer-Token (für ein LLM-Gateway)</translation>
    </message>
    <message>
        <source>Bearer token</source>
        <translation>Bearer-Token</translation>
    </message>
    <message>
        <source>For a gateway or proxy that expects &quot;Authorization: Bearer&quot;, like ANTHROPIC_AUTH_TOKEN.</source>
        <translation>Für ein Gateway oder einen Proxy, der „Authorization: Bearer“ erwartet, wie ANTHROPIC_AUTH_TOKEN.</translation>
    </message>
    <message>
        <source>About bearer tokens</source>
        <translation>Über Bearer-Tokens</translation>
    </message>
    <message>
        <source>Test target</source>
        <translation>Testziel</translation>
    </message>
    <message>
        <source>Testing</source>
        <translation>Testvorgang</translation>
    </message>
    <message>
        <source>Status</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Status</translation>
    </message>
    <message>
        <source>Use a &amp;cloud provider…</source>
        <translation>&amp;Cloud-Anbieter verwenden…</translation>
    </message>
    <message>
        <source>Use a cloud provider</source>
        <translation>Cloud-Anbieter verwenden</translation>
    </message>
    <message>
        <source>Use Claude through AWS Bedrock, Google Vertex AI or Azure Foundry instead</source>
        <translation>Claude stattdessen über AWS Bedrock, Google Vertex AI oder Azure Foundry nutzen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>&amp;Test and save</source>
        <translation>&amp;Testen und speichern</translation>
    </message>
    <message>
        <source>Test and save</source>
        <translation>Testen und speichern</translation>
    </message>
    <message>
        <source>Test and save sends one request for the model list to %1.</source>
        <translation>„Testen und speichern“ sendet eine Anfrage nach der Modellliste an %1.</translation>
    </message>
    <message>
        <source>the environment</source>
        <translation>der Umgebung</translation>
    </message>
    <message>
        <source>%1 from %2</source>
        <translation>%1 aus %2</translation>
    </message>
    <message>
        <source>the apiKeyHelper command from %1</source>
        <translation>der apiKeyHelper-Befehl aus %1</translation>
    </message>
    <message>
        <source>A credential is already provided by %1.</source>
        <translation>Anmeldedaten werden bereits bereitgestellt durch: %1.</translation>
    </message>
    <message>
        <source>; </source>
        <translatorcomment>same as source</translatorcomment>
        <translation>; </translation>
    </message>
    <message>
        <source>It takes priority over a key saved here; remove it there to use the saved key.</source>
        <translation>Sie haben Vorrang vor einem hier gespeicherten Schlüssel; entfernen Sie sie dort, um den gespeicherten Schlüssel zu verwenden.</translation>
    </message>
    <message>
        <source>Paste your API key into the field, then press Test and save.</source>
        <translation>Fügen Sie Ihren API-Schlüssel in das Feld ein und klicken Sie dann auf „Testen und speichern“.</translation>
    </message>
    <message>
        <source>Paste your bearer token into the field, then press Test and save.</source>
        <translation>Fügen Sie Ihr Bearer-Token in das Feld ein und klicken Sie dann auf „Testen und speichern“.</translation>
    </message>
    <message>
        <source>The text contains spaces, line breaks or other characters a key never has. Copy it again and paste it here.</source>
        <translation>Der Text enthält Leerzeichen, Zeilenumbrüche oder andere Zeichen, die ein Schlüssel nie enthält. Kopieren Sie ihn erneut und fügen Sie ihn hier ein.</translation>
    </message>
    <message>
        <source>Qlaude has no keychain to save the key in. Start a Secret Service such as gnome-keyring or KWallet, then restart Qlaude.</source>
        <translation>Qlaude hat keinen Schlüsselbund, in dem der Schlüssel gespeichert werden kann. Starten Sie einen Secret Service wie gnome-keyring oder KWallet und starten Sie Qlaude dann neu.</translation>
    </message>
    <message>
        <source>Testing the %1 against %2…</source>
        <translation>%1 wird gegen %2 getestet…</translation>
    </message>
    <message>
        <source>key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>token</source>
        <translation>Token</translation>
    </message>
    <message>
        <source>The test was cancelled. Nothing was saved.</source>
        <translation>Der Test wurde abgebrochen. Es wurde nichts gespeichert.</translation>
    </message>
    <message>
        <source>Check that you copied the whole key from the Claude Console, paste it again and press Test and save.</source>
        <translation>Prüfen Sie, ob Sie den ganzen Schlüssel aus der Claude Console kopiert haben, fügen Sie ihn erneut ein und klicken Sie auf „Testen und speichern“.</translation>
    </message>
    <message>
        <source>Check the token with your gateway&apos;s administrator, paste it again and press Test and save.</source>
        <translation>Klären Sie das Token mit dem Administrator Ihres Gateways, fügen Sie es erneut ein und klicken Sie auf „Testen und speichern“.</translation>
    </message>
    <message>
        <source>The test failed, so nothing was saved.</source>
        <translation>Der Test ist fehlgeschlagen, daher wurde nichts gespeichert.</translation>
    </message>
    <message numerus="yes">
        <source>It works (%n model(s) available). Saving it in the keychain…</source>
        <translation>
            <numerusform>Es funktioniert (%n Modell verfügbar). Wird im Schlüsselbund gespeichert…</numerusform>
            <numerusform>Es funktioniert (%n Modelle verfügbar). Wird im Schlüsselbund gespeichert…</numerusform>
        </translation>
    </message>
    <message>
        <source>Saved in the keychain. Loading…</source>
        <translation>Im Schlüsselbund gespeichert. Wird geladen…</translation>
    </message>
    <message>
        <source>The keychain is locked. Unlock it and press Test and save again.</source>
        <translation>Der Schlüsselbund ist gesperrt. Entsperren Sie ihn und klicken Sie erneut auf „Testen und speichern“.</translation>
    </message>
    <message>
        <source>The key works, but no keychain is available to keep it, so it was not saved. Start a Secret Service such as gnome-keyring or KWallet, then press Test and save again.</source>
        <translation>Der Schlüssel funktioniert, aber es ist kein Schlüsselbund verfügbar, um ihn aufzubewahren, daher wurde er nicht gespeichert. Starten Sie einen Secret Service wie gnome-keyring oder KWallet und klicken Sie dann erneut auf „Testen und speichern“.</translation>
    </message>
    <message>
        <source>The key works, but the keychain did not save it: %1 Press Test and save to try again.</source>
        <translation>Der Schlüssel funktioniert, aber der Schlüsselbund hat ihn nicht gespeichert: %1 Klicken Sie auf „Testen und speichern“, um es erneut zu versuchen.</translation>
    </message>
    <message>
        <source>The keychain has not answered for %1 s. If your system is asking for the keyring password, unlock it there; or press Cancel to stop waiting.</source>
        <translation>Der Schlüsselbund antwortet seit %1 s nicht. Wenn Ihr System nach dem Passwort des Schlüsselbunds fragt, entsperren Sie ihn dort; oder klicken Sie auf „Abbrechen“, um nicht länger zu warten.</translation>
    </message>
    <message>
        <source>Stopped waiting for the keychain, so Qlaude does not use the key. If the keychain finishes later, the key may still be stored there. Unlock the keyring, then press Test and save to try again.</source>
        <translation>Qlaude wartet nicht mehr auf den Schlüsselbund und verwendet den Schlüssel daher nicht. Wenn der Schlüsselbund später fertig wird, kann der Schlüssel trotzdem dort gespeichert sein. Entsperren Sie den Schlüsselbund und klicken Sie dann auf „Testen und speichern“, um es erneut zu versuchen.</translation>
    </message>
</context>
<context>
    <name>qlaude::LoopbackReceiver</name>
    <message>
        <source>Could not listen on 127.0.0.1 for the browser&apos;s answer: %1.</source>
        <translation>Auf 127.0.0.1 konnte nicht auf die Antwort des Browsers gewartet werden: %1.</translation>
    </message>
    <message>
        <source>Could not find a port that is free on both 127.0.0.1 and ::1 for the browser&apos;s answer: another program holds every port tried on ::1.</source>
        <translation>Für die Antwort des Browsers wurde kein Port gefunden, der sowohl auf 127.0.0.1 als auch auf ::1 frei ist: Ein anderes Programm belegt jeden auf ::1 versuchten Port.</translation>
    </message>
    <message>
        <source>The request is too large.</source>
        <translation>Die Anfrage ist zu groß.</translation>
    </message>
    <message>
        <source>That is not an HTTP request.</source>
        <translation>Das ist keine HTTP-Anfrage.</translation>
    </message>
    <message>
        <source>Unexpected Host header.</source>
        <translation>Unerwarteter Host-Header.</translation>
    </message>
    <message>
        <source>Only GET is served here.</source>
        <translation>Hier wird nur GET beantwortet.</translation>
    </message>
    <message>
        <source>There is nothing here.</source>
        <translation>Hier gibt es nichts.</translation>
    </message>
    <message>
        <source>A parameter appears twice.</source>
        <translation>Ein Parameter kommt zweimal vor.</translation>
    </message>
    <message>
        <source>This sign-in has already finished. Return to Qlaude.</source>
        <translation>Diese Anmeldung ist bereits abgeschlossen. Kehren Sie zu Qlaude zurück.</translation>
    </message>
    <message>
        <source>Sign-in refused</source>
        <translation>Anmeldung abgelehnt</translation>
    </message>
    <message>
        <source>The sign-in was refused (%1). Return to Qlaude to try again.</source>
        <translation>Die Anmeldung wurde abgelehnt (%1). Kehren Sie zu Qlaude zurück, um es erneut zu versuchen.</translation>
    </message>
    <message>
        <source>Authorization code not found.</source>
        <translation>Autorisierungscode nicht gefunden.</translation>
    </message>
    <message>
        <source>Invalid state parameter: this answer belongs to another sign-in attempt.</source>
        <translation>Ungültiger state-Parameter: Diese Antwort gehört zu einem anderen Anmeldeversuch.</translation>
    </message>
    <message>
        <source>Signed in</source>
        <translation>Angemeldet</translation>
    </message>
    <message>
        <source>You are signed in. You can close this window.</source>
        <translation>Sie sind angemeldet. Sie können dieses Fenster schließen.</translation>
    </message>
    <message>
        <source>You are signed in to Qlaude. You can close this window and return to the app.</source>
        <translation>Sie sind bei Qlaude angemeldet. Sie können dieses Fenster schließen und zur App zurückkehren.</translation>
    </message>
    <message>
        <source>Qlaude sign-in</source>
        <translation>Qlaude-Anmeldung</translation>
    </message>
</context>
<context>
    <name>qlaude::MessageDelegate</name>
    <message>
        <source>Stopped</source>
        <translation>Gestoppt</translation>
    </message>
    <message>
        <source>Interrupted</source>
        <translation>Unterbrochen</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Bearbeiten</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Neu generieren</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>Kopiert</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Sie</translation>
    </message>
    <message>
        <source>Claude</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Claude</translation>
    </message>
    <message>
        <source>Code</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Code</translation>
    </message>
    <message>
        <source>via %1</source>
        <translation>über %1</translation>
    </message>
    <message>
        <source>From your settings</source>
        <translation>Aus Ihren Einstellungen</translation>
    </message>
</context>
<context>
    <name>qlaude::MessageStreamAssembler</name>
    <message>
        <source>The server reported an error in the response stream: %1</source>
        <translation>Der Server hat im Antwortstrom einen Fehler gemeldet: %1</translation>
    </message>
    <message>
        <source>not an object</source>
        <translation>kein Objekt</translation>
    </message>
    <message>
        <source>The response stream contained an event that is not valid JSON (%1 at offset %2): %3</source>
        <translation>Der Antwortstrom enthielt ein Ereignis, das kein gültiges JSON ist (%1 bei Position %2): %3</translation>
    </message>
    <message>
        <source>The response stream sent %1 before message_start.</source>
        <translation>Der Antwortstrom hat %1 vor message_start gesendet.</translation>
    </message>
    <message>
        <source>The response stream sent a second message_start.</source>
        <translation>Der Antwortstrom hat ein zweites message_start gesendet.</translation>
    </message>
    <message>
        <source>The response stream sent a message_start without a message.</source>
        <translation>Der Antwortstrom hat ein message_start ohne Nachricht gesendet.</translation>
    </message>
    <message>
        <source>The response stream sent a malformed content_block_start.</source>
        <translation>Der Antwortstrom hat ein fehlerhaftes content_block_start gesendet.</translation>
    </message>
    <message>
        <source>The response stream started content block %1 where block %2 was expected.</source>
        <translation>Der Antwortstrom hat Inhaltsblock %1 begonnen, wo Block %2 erwartet wurde.</translation>
    </message>
    <message>
        <source>The response stream sent %1 for content block %2, which was never started.</source>
        <translation>Der Antwortstrom hat %1 für Inhaltsblock %2 gesendet, der nie begonnen wurde.</translation>
    </message>
    <message>
        <source>The response stream sent %1 for content block %2 after it ended.</source>
        <translation>Der Antwortstrom hat %1 für Inhaltsblock %2 nach dessen Ende gesendet.</translation>
    </message>
    <message>
        <source>The response stream sent a %1 that does not fit content block %2 (a %3 block).</source>
        <translation>Der Antwortstrom hat ein %1 gesendet, das nicht zu Inhaltsblock %2 (einem %3-Block) passt.</translation>
    </message>
    <message>
        <source>The response stream sent a citations_delta that does not fit content block %1 (a %2 block).</source>
        <translation>Der Antwortstrom hat ein citations_delta gesendet, das nicht zu Inhaltsblock %1 (einem %2-Block) passt.</translation>
    </message>
    <message>
        <source>The input of tool call %1 (content block %2) is not valid JSON: %3 at offset %4.</source>
        <translation>Die Eingabe des Werkzeugaufrufs %1 (Inhaltsblock %2) ist kein gültiges JSON: %3 bei Position %4.</translation>
    </message>
    <message>
        <source>The server reported an error (%1) in the response stream.</source>
        <translation>Der Server hat im Antwortstrom einen Fehler gemeldet (%1).</translation>
    </message>
</context>
<context>
    <name>qlaude::MessageView</name>
    <message>
        <source>Jump to latest ↓</source>
        <translation>Zum Ende ↓</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Nachrichten</translation>
    </message>
    <message>
        <source>No messages</source>
        <translation>Keine Nachrichten</translation>
    </message>
    <message>
        <source>Jump to the latest message</source>
        <translation>Zur neuesten Nachricht springen</translation>
    </message>
    <message>
        <source>Scroll to the answer arriving now and follow it (End)</source>
        <translation>Zur gerade eintreffenden Antwort scrollen und ihr folgen (Ende)</translation>
    </message>
    <message>
        <source>Code copied</source>
        <translation>Code kopiert</translation>
    </message>
    <message>
        <source>Message copied</source>
        <translation>Nachricht kopiert</translation>
    </message>
    <message>
        <source>Copy Code</source>
        <translation>Code kopieren</translation>
    </message>
    <message>
        <source>Copy Message</source>
        <translation>Nachricht kopieren</translation>
    </message>
    <message>
        <source>Hide Thinking</source>
        <translation>Denkprozess verbergen</translation>
    </message>
    <message>
        <source>Show Thinking</source>
        <translation>Denkprozess anzeigen</translation>
    </message>
    <message>
        <source>Edit and Resend…</source>
        <translation>Bearbeiten und erneut senden…</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Neu generieren</translation>
    </message>
    <message>
        <source>Previous Version</source>
        <translation>Vorherige Version</translation>
    </message>
    <message>
        <source>Next Version</source>
        <translation>Nächste Version</translation>
    </message>
</context>
<context>
    <name>qlaude::NetworkAccess</name>
    <message>
        <source>an unnamed authority</source>
        <translation>eine unbenannte Zertifizierungsstelle</translation>
    </message>
    <message>
        <source> The connection goes through the proxy %1, which may be inspecting TLS and re-signing certificates with its own CA.</source>
        <translation> Die Verbindung läuft über den Proxy %1, der möglicherweise TLS untersucht und Zertifikate mit seiner eigenen CA neu signiert.</translation>
    </message>
    <message>
        <source>The TLS certificate presented for %1 is for %2, not for %1.%3 Check the base URL; certificate errors are never ignored.</source>
        <translation>Das für %1 vorgelegte TLS-Zertifikat gilt für %2, nicht für %1.%3 Prüfen Sie die Basis-URL; Zertifikatsfehler werden nie ignoriert.</translation>
    </message>
    <message>
        <source>no host name</source>
        <translation>keinen Hostnamen</translation>
    </message>
    <message>
        <source>the system store</source>
        <translation>der Zertifikatspeicher des Systems</translation>
    </message>
    <message>
        <source>this computer does not trust</source>
        <translation>dieser Computer vertraut diesem Aussteller nicht</translation>
    </message>
    <message>
        <source>none of %1 trusts</source>
        <translation>keiner dieser Zertifikatspeicher vertraut diesem Aussteller: %1</translation>
    </message>
    <message>
        <source>The TLS certificate of %1 was issued by %2, which %3.%4 If your company uses its own certificate authority, save its CA certificate as a PEM file and set NODE_EXTRA_CA_CERTS to that file.</source>
        <translation>Das TLS-Zertifikat von %1 wurde von %2 ausgestellt; %3.%4 Wenn Ihr Unternehmen eine eigene Zertifizierungsstelle verwendet, speichern Sie deren CA-Zertifikat als PEM-Datei und setzen Sie NODE_EXTRA_CA_CERTS auf diese Datei.</translation>
    </message>
    <message>
        <source>The TLS certificate of %1 expired on %2.%3</source>
        <translation>Das TLS-Zertifikat von %1 ist am %2 abgelaufen.%3</translation>
    </message>
    <message>
        <source>The TLS certificate of %1 is not valid before %2; check this computer&apos;s clock.%3</source>
        <translation>Das TLS-Zertifikat von %1 ist erst ab %2 gültig; prüfen Sie die Uhr dieses Computers.%3</translation>
    </message>
    <message>
        <source>The TLS certificate of %1 was refused: %2.%3</source>
        <translation>Das TLS-Zertifikat von %1 wurde abgelehnt: %2.%3</translation>
    </message>
    <message>
        <source>proxyAuthHelper printed no usable Proxy-Authorization value: it must print one line, such as &quot;Basic dXNlcjpwYXNz&quot;.</source>
        <translation>proxyAuthHelper hat keinen nutzbaren Proxy-Authorization-Wert ausgegeben: Er muss eine Zeile ausgeben, etwa „Basic dXNlcjpwYXNz“.</translation>
    </message>
    <message>
        <source>%1 (from %2)</source>
        <translation>%1 (aus %2)</translation>
    </message>
    <message>
        <source>The proxy %1 refused the user name and password in its URL (HTTP 407 Proxy Authentication Required). Check them.</source>
        <translation>Der Proxy %1 hat den Benutzernamen und das Passwort in seiner URL abgelehnt (HTTP 407 Proxy Authentication Required). Prüfen Sie sie.</translation>
    </message>
    <message>
        <source>The proxy %1 asks for credentials (HTTP 407 Proxy Authentication Required). Put them in the proxy URL (http://user:password@host:port), or set proxyAuthHelper with CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER=1.</source>
        <translation>Der Proxy %1 verlangt Anmeldedaten (HTTP 407 Proxy Authentication Required). Geben Sie sie in der Proxy-URL an (http://user:password@host:port), oder richten Sie proxyAuthHelper mit CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER=1 ein.</translation>
    </message>
    <message>
        <source>in the way</source>
        <translation>dazwischen</translation>
    </message>
    <message>
        <source>The proxy %1 could not be used: %2. Check the proxy variables, or exclude the host with NO_PROXY.</source>
        <translation>Der Proxy %1 konnte nicht verwendet werden: %2. Prüfen Sie die Proxy-Variablen, oder nehmen Sie den Host mit NO_PROXY aus.</translation>
    </message>
    <message>
        <source>(unknown)</source>
        <translation>(unbekannt)</translation>
    </message>
    <message>
        <source>%1 ended the connection during the TLS handshake, as a server that requires a client certificate does: set CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY to its PEM files.</source>
        <translation>%1 hat die Verbindung während des TLS-Handshakes beendet, wie es ein Server tut, der ein Client-Zertifikat verlangt: Setzen Sie CLAUDE_CODE_CLIENT_CERT und CLAUDE_CODE_CLIENT_KEY auf dessen PEM-Dateien.</translation>
    </message>
    <message>
        <source>%1 refused the client certificate (CLAUDE_CODE_CLIENT_CERT): check that it is the one the server expects and has not been revoked.</source>
        <translation>%1 hat das Client-Zertifikat abgelehnt (CLAUDE_CODE_CLIENT_CERT): Prüfen Sie, ob es das vom Server erwartete ist und nicht widerrufen wurde.</translation>
    </message>
    <message>
        <source>%1 closed the connection before answering; if it requires a client certificate (mTLS), set CLAUDE_CODE_CLIENT_CERT and CLAUDE_CODE_CLIENT_KEY</source>
        <translation>%1 hat die Verbindung vor einer Antwort geschlossen; wenn er ein Client-Zertifikat (mTLS) verlangt, setzen Sie CLAUDE_CODE_CLIENT_CERT und CLAUDE_CODE_CLIENT_KEY</translation>
    </message>
</context>
<context>
    <name>qlaude::NetworkSetup</name>
    <message>
        <source>%1 names %2, which does not exist</source>
        <translation>%1 verweist auf %2, doch diese Datei existiert nicht</translation>
    </message>
    <message>
        <source>%1 names %2, which is larger than 16 MiB and is not a PEM file</source>
        <translation>%1 verweist auf %2, doch diese Datei ist größer als 16 MiB und keine PEM-Datei</translation>
    </message>
    <message>
        <source>%1 names %2, which could not be read: %3</source>
        <translation>%1 verweist auf %2, doch diese Datei konnte nicht gelesen werden: %3</translation>
    </message>
    <message>
        <source>(no name)</source>
        <translation>(kein Name)</translation>
    </message>
    <message>
        <source>set CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER=1 to use it</source>
        <translation>setzen Sie CLAUDE_CODE_ENABLE_PROXY_AUTH_HELPER=1, um ihn zu verwenden</translation>
    </message>
    <message>
        <source>%1 (%2) excludes it</source>
        <translation>%1 (%2) nimmt ihn aus</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CERT_STORE=%1: Qlaude has no bundled store and uses the system&apos;s certificates</source>
        <translation>CLAUDE_CODE_CERT_STORE=%1: Qlaude hat keinen mitgelieferten Zertifikatspeicher und verwendet die Zertifikate des Systems</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CERT_STORE=%1 asks for the bundled store only; Qlaude has none and uses the system&apos;s certificates instead</source>
        <translation>CLAUDE_CODE_CERT_STORE=%1 verlangt nur den mitgelieferten Zertifikatspeicher; Qlaude hat keinen und verwendet stattdessen die Zertifikate des Systems</translation>
    </message>
    <message>
        <source>%1 names %2, which holds no PEM certificate</source>
        <translation>%1 verweist auf %2, doch diese Datei enthält kein PEM-Zertifikat</translation>
    </message>
    <message>
        <source>%1 names %2, in which %3 of %4 certificates could not be read</source>
        <translation>%1 verweist auf %2, doch in dieser Datei konnten %3 von %4 Zertifikaten nicht gelesen werden</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_KEY is set but CLAUDE_CODE_CLIENT_CERT is not: set both to present a client certificate</source>
        <translation>CLAUDE_CODE_CLIENT_KEY ist gesetzt, CLAUDE_CODE_CLIENT_CERT aber nicht: Setzen Sie beide, um ein Client-Zertifikat vorzulegen</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_CERT names %1, which holds no PEM certificate</source>
        <translation>CLAUDE_CODE_CLIENT_CERT verweist auf %1, doch diese Datei enthält kein PEM-Zertifikat</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_CERT is set but CLAUDE_CODE_CLIENT_KEY is not, and %1 holds no private key: set CLAUDE_CODE_CLIENT_KEY to the key&apos;s PEM file</source>
        <translation>CLAUDE_CODE_CLIENT_CERT ist gesetzt, CLAUDE_CODE_CLIENT_KEY aber nicht, und %1 enthält keinen privaten Schlüssel: Setzen Sie CLAUDE_CODE_CLIENT_KEY auf die PEM-Datei des Schlüssels</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_KEY names %1, which is encrypted: set CLAUDE_CODE_CLIENT_KEY_PASSPHRASE, or save the passphrase in Settings &gt; Network</source>
        <translation>CLAUDE_CODE_CLIENT_KEY verweist auf %1, doch diese Datei ist verschlüsselt: Setzen Sie CLAUDE_CODE_CLIENT_KEY_PASSPHRASE, oder speichern Sie die Passphrase unter Einstellungen &gt; Netzwerk</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_KEY names %1, which could not be decrypted with the passphrase from %2: check it</source>
        <translation>CLAUDE_CODE_CLIENT_KEY verweist auf %1, doch diese Datei ließ sich mit der Passphrase aus %2 nicht entschlüsseln: Prüfen Sie die Passphrase</translation>
    </message>
    <message>
        <source>the keychain (Settings &gt; Network)</source>
        <translation>dem Schlüsselbund (Einstellungen &gt; Netzwerk)</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CLIENT_KEY names %1, which holds no PEM private key Qlaude can read (RSA, EC or DSA)</source>
        <translation>CLAUDE_CODE_CLIENT_KEY verweist auf %1, doch diese Datei enthält keinen privaten PEM-Schlüssel, den Qlaude lesen kann (RSA, EC oder DSA)</translation>
    </message>
    <message>
        <source>The client certificate in %1 (%2) expired on %3: renew it</source>
        <translation>Das Client-Zertifikat in %1 (%2) ist am %3 abgelaufen: Erneuern Sie es</translation>
    </message>
    <message>
        <source>The client certificate in %1 (%2) expires on %3, in %4 days: renew it soon</source>
        <translation>Das Client-Zertifikat in %1 (%2) läuft am %3 ab, in %4 Tagen: Erneuern Sie es bald</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthBrowserDialog</name>
    <message>
        <source>Sign in</source>
        <translation>Anmelden</translation>
    </message>
    <message>
        <source>Page address</source>
        <translation>Seitenadresse</translation>
    </message>
    <message>
        <source>Connection security</source>
        <translation>Verbindungssicherheit</translation>
    </message>
    <message>
        <source>The sign-in page&apos;s certificate is not valid (%1), so the login was stopped. Check the date and time of your computer and any proxy that inspects TLS, then try again.</source>
        <translation>Das Zertifikat der Anmeldeseite ist ungültig (%1), daher wurde die Anmeldung abgebrochen. Prüfen Sie Datum und Uhrzeit Ihres Computers und jeden Proxy, der TLS untersucht, und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>The sign-in did not finish within %1 minutes. Start the login again.</source>
        <translation>Die Anmeldung wurde nicht innerhalb von %1 Minuten abgeschlossen. Starten Sie die Anmeldung erneut.</translation>
    </message>
    <message>
        <source>🔒 Secure connection</source>
        <translation>🔒 Sichere Verbindung</translation>
    </message>
    <message>
        <source>Local connection (this computer)</source>
        <translation>Lokale Verbindung (dieser Computer)</translation>
    </message>
    <message>
        <source>⚠ Not secure (no HTTPS)</source>
        <translation>⚠ Nicht sicher (kein HTTPS)</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthClient</name>
    <message>
        <source>%1 timed out: the sign-in server did not answer.</source>
        <translation>%1: Zeitüberschreitung, der Anmeldeserver hat nicht geantwortet.</translation>
    </message>
    <message>
        <source>%1 failed: %2.</source>
        <translation>%1 fehlgeschlagen: %2.</translation>
    </message>
    <message>
        <source>%1 failed: the sign-in server answered with a redirect (HTTP %2), which Qlaude does not follow for token requests.</source>
        <translation>%1 fehlgeschlagen: Der Anmeldeserver hat mit einer Weiterleitung geantwortet (HTTP %2), der Qlaude bei Token-Anfragen nicht folgt.</translation>
    </message>
    <message>
        <source>%1 failed (HTTP %2)%3.</source>
        <translation>%1 fehlgeschlagen (HTTP %2)%3.</translation>
    </message>
    <message>
        <source>The sign-in server&apos;s answer has no access token.</source>
        <translation>Die Antwort des Anmeldeservers enthält kein Zugriffstoken.</translation>
    </message>
    <message>
        <source>The sign-in server issued a &quot;%1&quot; token; Qlaude can only use Bearer tokens.</source>
        <translation>Der Anmeldeserver hat ein Token vom Typ „%1“ ausgestellt; Qlaude kann nur Bearer-Tokens verwenden.</translation>
    </message>
    <message>
        <source>Authentication failed: Invalid authorization code.</source>
        <translation>Authentifizierung fehlgeschlagen: Ungültiger Autorisierungscode.</translation>
    </message>
    <message>
        <source>Token exchange</source>
        <translation>Token-Austausch</translation>
    </message>
    <message>
        <source>The stored login has no refresh token.</source>
        <translation>Die gespeicherte Anmeldung hat kein Aktualisierungstoken.</translation>
    </message>
    <message>
        <source>Token refresh</source>
        <translation>Token-Aktualisierung</translation>
    </message>
    <message>
        <source>The sign-in server has no revocation endpoint.</source>
        <translation>Der Anmeldeserver hat keinen Widerrufs-Endpunkt.</translation>
    </message>
    <message>
        <source>There is no token to revoke.</source>
        <translation>Es gibt kein Token zum Widerrufen.</translation>
    </message>
    <message>
        <source>OIDC discovery</source>
        <translation>OIDC-Erkennung</translation>
    </message>
    <message>
        <source>The OIDC provider at %1 announced a different issuer (%2); the login was stopped.</source>
        <translation>Der OIDC-Anbieter unter %1 hat einen anderen Aussteller angegeben (%2); die Anmeldung wurde abgebrochen.</translation>
    </message>
    <message>
        <source>The OIDC provider at %1 announced no authorization or token endpoint.</source>
        <translation>Der OIDC-Anbieter unter %1 hat keinen Autorisierungs- oder Token-Endpunkt angegeben.</translation>
    </message>
    <message>
        <source>The OIDC provider at %1 does not support PKCE with S256, which Qlaude requires.</source>
        <translation>Der OIDC-Anbieter unter %1 unterstützt PKCE mit S256 nicht, was Qlaude voraussetzt.</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthLoginCommand</name>
    <message>
        <source>The desktop could not open a browser.</source>
        <translation>Der Desktop konnte keinen Browser öffnen.</translation>
    </message>
    <message>
        <source>; the access token lasts %1 hours and is refreshed automatically</source>
        <translation>; das Zugriffstoken gilt %1 Stunden und wird automatisch erneuert</translation>
    </message>
    <message>
        <source>; the access token lasts %1 minutes and is refreshed automatically</source>
        <translation>; das Zugriffstoken gilt %1 Minuten und wird automatisch erneuert</translation>
    </message>
    <message>
        <source>--bare never uses OAuth. Run qlaude --login=oauth without --bare.</source>
        <translation>--bare verwendet nie OAuth. Führen Sie qlaude --login=oauth ohne --bare aus.</translation>
    </message>
    <message>
        <source>Unknown login profile &quot;%1&quot;. Use --profile=claudeai, --profile=console or --profile=oidc.</source>
        <translation>Unbekanntes Anmeldeprofil „%1“. Verwenden Sie --profile=claudeai, --profile=console oder --profile=oidc.</translation>
    </message>
    <message>
        <source>Unknown browser &quot;%1&quot;. Use --browser=system, --browser=manual or --browser=embedded.</source>
        <translation>Unbekannter Browser „%1“. Verwenden Sie --browser=system, --browser=manual oder --browser=embedded.</translation>
    </message>
    <message>
        <source>The embedded browser needs the desktop app: start qlaude without arguments and log in from its login dialog, or use --browser=system or --browser=manual here.</source>
        <translation>Der eingebettete Browser benötigt die Desktop-App: Starten Sie qlaude ohne Argumente und melden Sie sich im Anmeldedialog an, oder verwenden Sie hier --browser=system oder --browser=manual.</translation>
    </message>
    <message>
        <source>The sign-in was not started: the login could not be stored.</source>
        <translation>Die Anmeldung wurde nicht gestartet: Die Anmeldung kann nicht gespeichert werden.</translation>
    </message>
    <message>
        <source>Paste code here if prompted &gt; </source>
        <translation>Code hier einfügen, falls verlangt &gt; </translation>
    </message>
    <message>
        <source>Opening your browser to sign in with %1…</source>
        <translation>Ihr Browser wird geöffnet, um sich mit %1 anzumelden…</translation>
    </message>
    <message>
        <source>Open the address below yourself.</source>
        <translation>Öffnen Sie die folgende Adresse selbst.</translation>
    </message>
    <message>
        <source>If the browser didn&apos;t open, visit this address and paste the code shown at the end here:</source>
        <translation>Falls sich der Browser nicht geöffnet hat, rufen Sie diese Adresse auf und fügen Sie den am Ende angezeigten Code hier ein:</translation>
    </message>
    <message>
        <source>If the browser didn&apos;t open, visit:</source>
        <translation>Falls sich der Browser nicht geöffnet hat, rufen Sie Folgendes auf:</translation>
    </message>
    <message>
        <source>Visit this address to sign in with %1, then paste the code shown at the end here:</source>
        <translation>Rufen Sie diese Adresse auf, um sich mit %1 anzumelden, und fügen Sie dann den am Ende angezeigten Code hier ein:</translation>
    </message>
    <message>
        <source>Visit this address to sign in with %1. If the last page does not load, copy its whole address from the address bar and paste it here:</source>
        <translation>Rufen Sie diese Adresse auf, um sich mit %1 anzumelden. Wenn die letzte Seite nicht lädt, kopieren Sie ihre vollständige Adresse aus der Adressleiste und fügen Sie sie hier ein:</translation>
    </message>
    <message>
        <source>Account: %1.</source>
        <translation>Konto: %1.</translation>
    </message>
    <message>
        <source>The login is stored in the system keychain%1.</source>
        <translation>Die Anmeldung ist im Schlüsselbund des Systems gespeichert%1.</translation>
    </message>
    <message>
        <source>Scopes: %1</source>
        <translation>Bereiche: %1</translation>
    </message>
    <message>
        <source>No code was pasted before stdin closed; the sign-in was cancelled. Run the login again and paste the code shown after signing in.</source>
        <translation>Es wurde kein Code eingefügt, bevor stdin geschlossen wurde; die Anmeldung wurde abgebrochen. Starten Sie die Anmeldung erneut und fügen Sie den nach der Anmeldung angezeigten Code ein.</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthLoginFlow</name>
    <message>
        <source>%1 minutes</source>
        <translation>%1 Minuten</translation>
    </message>
    <message>
        <source>%1 seconds</source>
        <translation>%1 Sekunden</translation>
    </message>
    <message>
        <source>The sign-in timed out after %1 without an answer from the browser. Start it again.</source>
        <translation>Die Anmeldung wurde nach %1 ohne Antwort des Browsers abgebrochen. Starten Sie sie erneut.</translation>
    </message>
    <message>
        <source>The sign-in was refused by the server (%1%2). Start it again.</source>
        <translation>Die Anmeldung wurde vom Server abgelehnt (%1%2). Starten Sie sie erneut.</translation>
    </message>
    <message>
        <source>No sign-in is waiting for an answer.</source>
        <translation>Keine Anmeldung wartet auf eine Antwort.</translation>
    </message>
    <message>
        <source>That address is not this sign-in&apos;s redirect.</source>
        <translation>Diese Adresse ist nicht die Weiterleitung dieser Anmeldung.</translation>
    </message>
    <message>
        <source>A parameter appears twice in the redirect.</source>
        <translation>Ein Parameter kommt in der Weiterleitung zweimal vor.</translation>
    </message>
    <message>
        <source>The sign-in was refused by the server (%1). Start it again.</source>
        <translation>Die Anmeldung wurde vom Server abgelehnt (%1). Starten Sie sie erneut.</translation>
    </message>
    <message>
        <source>Authorization code not found.</source>
        <translation>Autorisierungscode nicht gefunden.</translation>
    </message>
    <message>
        <source>No sign-in is waiting for a code.</source>
        <translation>Keine Anmeldung wartet auf einen Code.</translation>
    </message>
    <message>
        <source>Authorization code not found in that address.</source>
        <translation>In dieser Adresse wurde kein Autorisierungscode gefunden.</translation>
    </message>
    <message>
        <source>Invalid code. Please make sure the full code was copied.</source>
        <translation>Ungültiger Code. Bitte stellen Sie sicher, dass der ganze Code kopiert wurde.</translation>
    </message>
    <message>
        <source>Invalid state: this code belongs to another sign-in attempt. Use the code shown after this attempt&apos;s sign-in, or start again.</source>
        <translation>Ungültiger state: Dieser Code gehört zu einem anderen Anmeldeversuch. Verwenden Sie den Code, der nach der Anmeldung dieses Versuchs angezeigt wird, oder beginnen Sie erneut.</translation>
    </message>
    <message>
        <source>Start the sign-in again.</source>
        <translation>Starten Sie die Anmeldung erneut.</translation>
    </message>
    <message>
        <source>Signed in with %1.</source>
        <translation>Mit %1 angemeldet.</translation>
    </message>
    <message>
        <source>You signed in, but the login could not be stored: %1</source>
        <translation>Sie haben sich angemeldet, aber die Anmeldung konnte nicht gespeichert werden: %1</translation>
    </message>
    <message>
        <source>The sign-in was cancelled.</source>
        <translation>Die Anmeldung wurde abgebrochen.</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthProfile</name>
    <message>
        <source>%1 in %2 was ignored: OAuth settings are read only from the environment and the user and managed settings.</source>
        <translation>%1 in %2 wurde ignoriert: OAuth-Einstellungen werden nur aus der Umgebung sowie den Benutzer- und verwalteten Einstellungen gelesen.</translation>
    </message>
    <message>
        <source>the Anthropic Console</source>
        <translation>der Anthropic Console</translation>
    </message>
    <message>
        <source>organization SSO</source>
        <translation>dem SSO Ihrer Organisation</translation>
    </message>
    <message>
        <source>You can use an Anthropic API key (qlaude --login=api-key or ANTHROPIC_API_KEY), an apiKeyHelper command, a bearer token for a gateway (ANTHROPIC_AUTH_TOKEN, or organization SSO with --profile=oidc), or a cloud provider (Amazon Bedrock, Google Vertex AI or Microsoft Foundry).</source>
        <translation>Sie können einen Anthropic-API-Schlüssel (qlaude --login=api-key oder ANTHROPIC_API_KEY), einen apiKeyHelper-Befehl, ein Bearer-Token für ein Gateway (ANTHROPIC_AUTH_TOKEN oder das SSO Ihrer Organisation mit --profile=oidc) oder einen Cloud-Anbieter (Amazon Bedrock, Google Vertex AI oder Microsoft Foundry) verwenden.</translation>
    </message>
    <message>
        <source>Organization SSO is not configured: set &quot;oidc&quot;: {&quot;issuer&quot;, &quot;clientId&quot;} in your user or managed settings, or QLAUDE_OIDC_ISSUER and QLAUDE_OIDC_CLIENT_ID.</source>
        <translation>Das SSO der Organisation ist nicht eingerichtet: Setzen Sie &quot;oidc&quot;: {&quot;issuer&quot;, &quot;clientId&quot;} in Ihren Benutzer- oder verwalteten Einstellungen, oder QLAUDE_OIDC_ISSUER und QLAUDE_OIDC_CLIENT_ID.</translation>
    </message>
    <message>
        <source>The OIDC issuer (%1, from %2) must be an https URL without a query.</source>
        <translation>Der OIDC-Aussteller (%1, aus %2) muss eine https-URL ohne Query sein.</translation>
    </message>
    <message>
        <source>Organization SSO needs a client id: set &quot;oidc&quot;: {&quot;clientId&quot;} in your user or managed settings, or QLAUDE_OIDC_CLIENT_ID.</source>
        <translation>Das SSO der Organisation benötigt eine Client-ID: Setzen Sie &quot;oidc&quot;: {&quot;clientId&quot;} in Ihren Benutzer- oder verwalteten Einstellungen, oder QLAUDE_OIDC_CLIENT_ID.</translation>
    </message>
    <message>
        <source>CLAUDE_CODE_CUSTOM_OAUTH_URL (%1, from %2) must be an https URL without a query.</source>
        <translation>CLAUDE_CODE_CUSTOM_OAUTH_URL (%1, aus %2) muss eine https-URL ohne Query sein.</translation>
    </message>
    <message>
        <source>This build of Qlaude is not authorized by Anthropic for Claude.ai or Console subscription login. </source>
        <translation>Dieser Build von Qlaude ist von Anthropic nicht für die Anmeldung mit einem Claude.ai- oder Console-Abonnement zugelassen. </translation>
    </message>
    <message>
        <source>The OIDC provider %1 announced an authorization or token endpoint that is not https.</source>
        <translation>Der OIDC-Anbieter %1 hat einen Autorisierungs- oder Token-Endpunkt angegeben, der kein https verwendet.</translation>
    </message>
</context>
<context>
    <name>qlaude::OAuthTokenStore</name>
    <message>
        <source>The stored login holds no access token. Log in again with qlaude --login=oauth.</source>
        <translation>Die gespeicherte Anmeldung enthält kein Zugriffstoken. Melden Sie sich mit qlaude --login=oauth erneut an.</translation>
    </message>
    <message>
        <source> Log in again with qlaude --login=oauth.</source>
        <translation> Melden Sie sich mit qlaude --login=oauth erneut an.</translation>
    </message>
</context>
<context>
    <name>qlaude::PrintCommand</name>
    <message>
        <source>Fix the file given with --settings, or leave the option out.</source>
        <translation>Korrigieren Sie die mit --settings angegebene Datei oder lassen Sie die Option weg.</translation>
    </message>
    <message>
        <source>warning: %1</source>
        <translation>Warnung: %1</translation>
    </message>
    <message>
        <source>note: %1</source>
        <translation>Hinweis: %1</translation>
    </message>
    <message>
        <source>ANTHROPIC_BASE_URL (%1) is not an http(s) URL.</source>
        <translation>ANTHROPIC_BASE_URL (%1) ist keine http(s)-URL.</translation>
    </message>
    <message>
        <source>--output-format must be text, json or stream-json.</source>
        <translation>--output-format muss text, json oder stream-json sein.</translation>
    </message>
    <message>
        <source>--print needs a prompt: qlaude --print &quot;question&quot;, or pipe it on stdin.</source>
        <translation>--print benötigt eine Frage: qlaude --print &quot;Frage&quot;, oder leiten Sie sie über stdin weiter.</translation>
    </message>
    <message>
        <source>%1; retrying in %2 s (retry %3).</source>
        <translation>%1; neuer Versuch in %2 s (Versuch %3).</translation>
    </message>
    <message>
        <source>stopped by a signal; the partial answer is saved as stopped.</source>
        <translation>durch ein Signal gestoppt; die unvollständige Antwort ist als gestoppt gespeichert.</translation>
    </message>
    <message>
        <source>stopped by a signal.</source>
        <translation>durch ein Signal gestoppt.</translation>
    </message>
    <message>
        <source>the API returned no models.</source>
        <translation>die API hat keine Modelle geliefert.</translation>
    </message>
</context>
<context>
    <name>qlaude::ProviderChoicePage</name>
    <message>
        <source>Provider</source>
        <translation>Anbieter</translation>
    </message>
    <message>
        <source>Where Qlaude sends requests. Choose one; its own page in the list holds its settings.</source>
        <translation>Wohin Qlaude Anfragen sendet. Wählen Sie einen Anbieter; seine Einstellungen stehen auf seiner eigenen Seite in der Liste.</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Einstellungen…</translation>
    </message>
    <message>
        <source>Open the %1 settings</source>
        <translation>Die Einstellungen für %1 öffnen</translation>
    </message>
    <message>
        <source>Where the provider choice comes from</source>
        <translation>Woher die Anbieterwahl stammt</translation>
    </message>
    <message>
        <source>Why some providers cannot be chosen</source>
        <translation>Warum einige Anbieter nicht gewählt werden können</translation>
    </message>
    <message>
        <source>None of CLAUDE_CODE_USE_BEDROCK, CLAUDE_CODE_USE_VERTEX or CLAUDE_CODE_USE_FOUNDRY is set, so requests go to the Anthropic API.</source>
        <translation>Keine der Variablen CLAUDE_CODE_USE_BEDROCK, CLAUDE_CODE_USE_VERTEX oder CLAUDE_CODE_USE_FOUNDRY ist gesetzt, daher gehen Anfragen an die Anthropic API.</translation>
    </message>
    <message>
        <source>%1 is in use: %2=%3, from %4.</source>
        <translation>%1 wird verwendet: %2=%3, aus %4.</translation>
    </message>
    <message>
        <source>Set by %1: %2=%3.</source>
        <translation>Festgelegt durch %1: %2=%3.</translation>
    </message>
    <message>
        <source>Save writes the choice to the env block of your user settings, which the Claude Code CLI reads too.</source>
        <translation>„Speichern“ schreibt die Wahl in den env-Block Ihrer Benutzereinstellungen, die auch die Claude Code CLI liest.</translation>
    </message>
    <message>
        <source>So %1 cannot be chosen here; change the setting there first.</source>
        <translation>Daher kann %1 hier nicht gewählt werden; ändern Sie zuerst die Einstellung dort.</translation>
    </message>
</context>
<context>
    <name>qlaude::ProviderClient</name>
    <message>
        <source>%1 is not available with the %2 provider</source>
        <translation>%1 ist beim Anbieter %2 nicht verfügbar</translation>
    </message>
    <message>
        <source>Counting tokens</source>
        <translation>Das Zählen von Tokens</translation>
    </message>
    <message>
        <source>The model list</source>
        <translation>Die Modellliste</translation>
    </message>
    <message>
        <source>The model list could not be read</source>
        <translation>Die Modellliste konnte nicht gelesen werden</translation>
    </message>
</context>
<context>
    <name>qlaude::ProviderParts</name>
    <message>
        <source>The access token from %1 is empty or contains a control character</source>
        <translation>Das Zugriffstoken aus %1 ist leer oder enthält ein Steuerzeichen</translation>
    </message>
    <message>
        <source>The token endpoint answered something that is not a token; check the credential shown by qlaude --doctor.</source>
        <translation>Der Token-Endpunkt hat etwas geantwortet, das kein Token ist; prüfen Sie die Anmeldedaten, die qlaude --doctor anzeigt.</translation>
    </message>
</context>
<context>
    <name>qlaude::ProviderSettingsPage</name>
    <message>
        <source>Test &amp;connection</source>
        <translation>&amp;Verbindung testen</translation>
    </message>
    <message>
        <source>Test connection to %1</source>
        <translation>Verbindung zu %1 testen</translation>
    </message>
    <message>
        <source>Test result</source>
        <translation>Testergebnis</translation>
    </message>
    <message>
        <source>X-Gateway-Team: research</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>X-Gateway-Team: research</translation>
    </message>
    <message>
        <source>Forget</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Forget the stored %1</source>
        <translation>Gespeicherten Wert für „%1“ entfernen</translation>
    </message>
    <message>
        <source>Remove it from the keychain</source>
        <translation>Aus dem Schlüsselbund entfernen</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>%1, where the value comes from</source>
        <translation>%1, Herkunft des Werts</translation>
    </message>
    <message>
        <source>%1, problem</source>
        <translation>%1, Problem</translation>
    </message>
    <message>
        <source>From your user settings (%1).</source>
        <translation>Aus Ihren Benutzereinstellungen (%1).</translation>
    </message>
    <message>
        <source>Locked: set by managed settings (%1). Your administrator controls it.</source>
        <translation>Gesperrt: durch verwaltete Einstellungen festgelegt (%1). Ihr Administrator steuert diesen Wert.</translation>
    </message>
    <message>
        <source>Locked: set by this folder&apos;s %1 settings (%2), which take priority over your user settings. Change it there.</source>
        <translation>Gesperrt: durch die %1-Einstellungen dieses Ordners festgelegt (%2), die Vorrang vor Ihren Benutzereinstellungen haben. Ändern Sie den Wert dort.</translation>
    </message>
    <message>
        <source>Locked: set by --settings (%1) for this run.</source>
        <translation>Gesperrt: für diese Sitzung durch --settings festgelegt (%1).</translation>
    </message>
    <message>
        <source>Locked: set in the environment Qlaude was started from. Unset %1 there to change it here.</source>
        <translation>Gesperrt: in der Umgebung festgelegt, aus der Qlaude gestartet wurde. Entfernen Sie %1 dort, um den Wert hier zu ändern.</translation>
    </message>
    <message>
        <source>Stored in plaintext in your user settings (%1). Press Save to move it to the keychain.</source>
        <translation>Im Klartext in Ihren Benutzereinstellungen gespeichert (%1). Klicken Sie auf „Speichern“, um den Wert in den Schlüsselbund zu verschieben.</translation>
    </message>
    <message>
        <source>Not set.</source>
        <translation>Nicht festgelegt.</translation>
    </message>
    <message>
        <source>Not set; the default is %1.</source>
        <translation>Nicht festgelegt; der Standardwert ist %1.</translation>
    </message>
    <message>
        <source>No keychain is available, so this secret cannot be saved.</source>
        <translation>Es ist kein Schlüsselbund verfügbar, daher kann dieses Geheimnis nicht gespeichert werden.</translation>
    </message>
    <message>
        <source>Checking the keychain…</source>
        <translation>Schlüsselbund wird geprüft…</translation>
    </message>
    <message>
        <source>Stored in the keychain (%1). Type a new one to replace it.</source>
        <translation>Im Schlüsselbund gespeichert (%1). Geben Sie einen neuen Wert ein, um ihn zu ersetzen.</translation>
    </message>
    <message>
        <source>Not set. What you enter here is kept in the keychain, never in a file.</source>
        <translation>Nicht festgelegt. Was Sie hier eingeben, wird im Schlüsselbund aufbewahrt, nie in einer Datei.</translation>
    </message>
    <message>
        <source>Removed from the keychain.</source>
        <translation>Aus dem Schlüsselbund entfernt.</translation>
    </message>
    <message>
        <source>Testing…</source>
        <translation>Wird getestet…</translation>
    </message>
    <message>
        <source>Check &amp;network</source>
        <translation>&amp;Netzwerk prüfen</translation>
    </message>
    <message>
        <source>Check the network settings</source>
        <translation>Die Netzwerkeinstellungen prüfen</translation>
    </message>
    <message>
        <source>the environment Qlaude was started from</source>
        <translation>der Umgebung, aus der Qlaude gestartet wurde</translation>
    </message>
    <message>
        <source>%1 settings (%2)</source>
        <translation>%1-Einstellungen (%2)</translation>
    </message>
    <message>
        <source>Also set in %1, which is ignored: %2 wins.</source>
        <translation>Auch festgelegt in %1, das ignoriert wird: %2 hat Vorrang.</translation>
    </message>
    <message>
        <source>Also set in %1, which are ignored: %2 wins.</source>
        <translation>Auch festgelegt in %1, die ignoriert werden: %2 hat Vorrang.</translation>
    </message>
    <message>
        <source> and </source>
        <translation> und </translation>
    </message>
    <message>
        <source>Show the proxy for each provider, the CA files and the client certificate, as qlaude --doctor does, with the values shown here (saved or not)</source>
        <translation>Den Proxy für jeden Anbieter, die CA-Dateien und das Client-Zertifikat wie qlaude --doctor anzeigen, mit den hier gezeigten Werten (gespeichert oder nicht)</translation>
    </message>
    <message>
        <source>Run the checks of qlaude --doctor for %1 and send one small request, with the values shown here (saved or not)</source>
        <translation>Die Prüfungen von qlaude --doctor für %1 ausführen und eine kleine Anfrage senden, mit den hier gezeigten Werten (gespeichert oder nicht)</translation>
    </message>
    <message>
        <source>%1, also set elsewhere</source>
        <translation>%1, auch anderswo festgelegt</translation>
    </message>
</context>
<context>
    <name>qlaude::ProviderStatus</name>
    <message>
        <source>No credential: log in, set ANTHROPIC_API_KEY, or configure an apiKeyHelper.</source>
        <translation>Keine Anmeldedaten: Melden Sie sich an, setzen Sie ANTHROPIC_API_KEY oder richten Sie einen apiKeyHelper ein.</translation>
    </message>
    <message>
        <source>Region: %1%2</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Region: %1%2</translation>
    </message>
    <message>
        <source> (default)</source>
        <translation> (Standard)</translation>
    </message>
    <message>
        <source>Profile: %1</source>
        <translation>Profil: %1</translation>
    </message>
    <message>
        <source>Authentication: skipped (CLAUDE_CODE_SKIP_BEDROCK_AUTH)</source>
        <translation>Authentifizierung: übersprungen (CLAUDE_CODE_SKIP_BEDROCK_AUTH)</translation>
    </message>
    <message>
        <source>Authentication: Bedrock API key (Bearer)</source>
        <translation>Authentifizierung: Bedrock-API-Schlüssel (Bearer)</translation>
    </message>
    <message>
        <source>Authentication: SigV4 with AWS credentials from %1</source>
        <translation>Authentifizierung: SigV4 mit AWS-Anmeldedaten aus %1</translation>
    </message>
    <message>
        <source>No AWS credentials were found in the environment, the AWS files or a command; only instance metadata (EC2) is left to try. Set AWS_PROFILE, access keys or a Bedrock API key, or AWS_EC2_METADATA_DISABLED=true off EC2.</source>
        <translation>In der Umgebung, den AWS-Dateien oder einem Befehl wurden keine AWS-Anmeldedaten gefunden; nur noch die Instanz-Metadaten (EC2) kommen infrage. Setzen Sie AWS_PROFILE, Zugriffsschlüssel oder einen Bedrock-API-Schlüssel, oder außerhalb von EC2 AWS_EC2_METADATA_DISABLED=true.</translation>
    </message>
    <message>
        <source>Region: %1 (%2)</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Region: %1 (%2)</translation>
    </message>
    <message>
        <source>Region for %1: %2</source>
        <translation>Region für %1: %2</translation>
    </message>
    <message>
        <source>Project: %1 (%2)</source>
        <translation>Projekt: %1 (%2)</translation>
    </message>
    <message>
        <source>No Google Cloud project is set: set ANTHROPIC_VERTEX_PROJECT_ID (or GOOGLE_CLOUD_PROJECT) to your project id. Only the metadata server (on Google Cloud) could name one.</source>
        <translation>Es ist kein Google-Cloud-Projekt festgelegt: Setzen Sie ANTHROPIC_VERTEX_PROJECT_ID (oder GOOGLE_CLOUD_PROJECT) auf Ihre Projekt-ID. Nur der Metadatenserver (auf Google Cloud) könnte eines nennen.</translation>
    </message>
    <message>
        <source>No Google Cloud project is set: set ANTHROPIC_VERTEX_PROJECT_ID (or GOOGLE_CLOUD_PROJECT) to your project id.</source>
        <translation>Es ist kein Google-Cloud-Projekt festgelegt: Setzen Sie ANTHROPIC_VERTEX_PROJECT_ID (oder GOOGLE_CLOUD_PROJECT) auf Ihre Projekt-ID.</translation>
    </message>
    <message>
        <source>URL: %1</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>URL: %1</translation>
    </message>
    <message>
        <source>Authentication: skipped (CLAUDE_CODE_SKIP_VERTEX_AUTH)</source>
        <translation>Authentifizierung: übersprungen (CLAUDE_CODE_SKIP_VERTEX_AUTH)</translation>
    </message>
    <message>
        <source>Authentication: Google access token from %1</source>
        <translation>Authentifizierung: Google-Zugriffstoken aus %1</translation>
    </message>
    <message>
        <source>No Google credentials were found in GOOGLE_APPLICATION_CREDENTIALS or gcloud&apos;s files; only the metadata server (on Google Cloud) is left to try. Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS.</source>
        <translation>In GOOGLE_APPLICATION_CREDENTIALS und den Dateien von gcloud wurden keine Google-Anmeldedaten gefunden; nur noch der Metadatenserver (auf Google Cloud) kommt infrage. Führen Sie `gcloud auth application-default login` aus oder setzen Sie GOOGLE_APPLICATION_CREDENTIALS.</translation>
    </message>
    <message>
        <source>Endpoint: %1 (from %2)</source>
        <translation>Endpunkt: %1 (aus %2)</translation>
    </message>
    <message>
        <source>Warning: ANTHROPIC_FOUNDRY_RESOURCE is ignored because ANTHROPIC_FOUNDRY_BASE_URL is set.</source>
        <translation>Warnung: ANTHROPIC_FOUNDRY_RESOURCE wird ignoriert, weil ANTHROPIC_FOUNDRY_BASE_URL gesetzt ist.</translation>
    </message>
    <message>
        <source>Tenant: %1; client id: %2</source>
        <translation>Mandant: %1; Client-ID: %2</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>nicht festgelegt</translation>
    </message>
    <message>
        <source>Authentication: skipped (CLAUDE_CODE_SKIP_FOUNDRY_AUTH)</source>
        <translation>Authentifizierung: übersprungen (CLAUDE_CODE_SKIP_FOUNDRY_AUTH)</translation>
    </message>
    <message>
        <source>Authentication: Foundry API key (x-api-key)</source>
        <translation>Authentifizierung: Foundry-API-Schlüssel (x-api-key)</translation>
    </message>
    <message>
        <source>Authentication: Microsoft Entra ID token from managed identity (IMDS, on Azure only), else the Azure CLI (az login); scope %1</source>
        <translation>Authentifizierung: Microsoft-Entra-ID-Token aus der verwalteten Identität (IMDS, nur auf Azure), sonst aus der Azure CLI (az login); Bereich %1</translation>
    </message>
    <message>
        <source>Authentication: Microsoft Entra ID token from %1, scope %2</source>
        <translation>Authentifizierung: Microsoft-Entra-ID-Token aus %1, Bereich %2</translation>
    </message>
    <message>
        <source>No Azure credentials were found; only managed identity (on an Azure machine) is left to try. Set ANTHROPIC_FOUNDRY_API_KEY, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or install the Azure CLI and run `az login`.</source>
        <translation>Es wurden keine Azure-Anmeldedaten gefunden; nur noch die verwaltete Identität (auf einem Azure-Rechner) kommt infrage. Setzen Sie ANTHROPIC_FOUNDRY_API_KEY oder AZURE_TENANT_ID, AZURE_CLIENT_ID und AZURE_CLIENT_SECRET, oder installieren Sie die Azure CLI und führen Sie `az login` aus.</translation>
    </message>
</context>
<context>
    <name>qlaude::ProxySettings</name>
    <message>
        <source>none</source>
        <translation>keiner</translation>
    </message>
    <message>
        <source>, except %1</source>
        <translation>, außer %1</translation>
    </message>
</context>
<context>
    <name>qlaude::RefreshLock</name>
    <message>
        <source>Could not create the lock directory %1.</source>
        <translation>Das Sperrverzeichnis %1 konnte nicht erstellt werden.</translation>
    </message>
    <message>
        <source>No permission to create the refresh lock %1.</source>
        <translation>Keine Berechtigung, die Erneuerungssperre %1 zu erstellen.</translation>
    </message>
    <message>
        <source>Another Qlaude process held the refresh lock for too long.</source>
        <translation>Ein anderer Qlaude-Prozess hat die Erneuerungssperre zu lange gehalten.</translation>
    </message>
    <message>
        <source>The refresh lock %1 could not be taken.</source>
        <translation>Die Erneuerungssperre %1 konnte nicht übernommen werden.</translation>
    </message>
</context>
<context>
    <name>qlaude::RequestOptions</name>
    <message>
        <source> (set in %1)</source>
        <translation> (festgelegt in %1)</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS line %1 has no &apos;:&apos; and was ignored. Write each header as &quot;Name: Value&quot;</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS Zeile %1 enthält kein „:“ und wurde ignoriert. Schreiben Sie jeden Header als „Name: Wert“</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS line %1 was ignored: the header name is not a valid HTTP token. Use only letters, digits and !#$%&amp;&apos;*+-.^_`|~</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS Zeile %1 wurde ignoriert: Der Header-Name ist kein gültiges HTTP-Token. Verwenden Sie nur Buchstaben, Ziffern und !#$%&amp;&apos;*+-.^_`|~</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS line %1 (%2) was refused: that header controls how the request is framed or where it is routed, so only Qlaude sets it. Remove the line</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS Zeile %1 (%2) wurde abgelehnt: Dieser Header bestimmt, wie die Anfrage aufgebaut ist oder wohin sie geleitet wird, daher setzt ihn nur Qlaude. Entfernen Sie die Zeile</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS line %1 (%2) was refused: Qlaude sets this header itself. Use QLAUDE_ANTHROPIC_VERSION to change it</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS Zeile %1 (%2) wurde abgelehnt: Qlaude setzt diesen Header selbst. Verwenden Sie QLAUDE_ANTHROPIC_VERSION, um ihn zu ändern</translation>
    </message>
    <message>
        <source>ANTHROPIC_CUSTOM_HEADERS line %1 (%2) was ignored: its value contains a line break or control character</source>
        <translation>ANTHROPIC_CUSTOM_HEADERS Zeile %1 (%2) wurde ignoriert: Ihr Wert enthält einen Zeilenumbruch oder ein Steuerzeichen</translation>
    </message>
    <message>
        <source>A value of ANTHROPIC_BETAS (or of a custom anthropic-beta header) was ignored: a beta name has no spaces, commas or control characters%1.</source>
        <translation>Ein Wert von ANTHROPIC_BETAS (oder eines eigenen anthropic-beta-Headers) wurde ignoriert: Ein Beta-Name enthält keine Leerzeichen, Kommas oder Steuerzeichen%1.</translation>
    </message>
    <message>
        <source>QLAUDE_ANTHROPIC_VERSION must be a version such as 2023-06-01, without spaces or control characters%1; using %2.</source>
        <translation>QLAUDE_ANTHROPIC_VERSION muss eine Version wie 2023-06-01 sein, ohne Leerzeichen oder Steuerzeichen%1; %2 wird verwendet.</translation>
    </message>
    <message>
        <source>%1 must be a positive number of milliseconds; using the default of %2.</source>
        <translation>%1 muss eine positive Zahl von Millisekunden sein; der Standardwert %2 wird verwendet.</translation>
    </message>
</context>
<context>
    <name>qlaude::RetryPolicy</name>
    <message>
        <source>The answer had already started, so it is not replayed silently.</source>
        <translation>Die Antwort hatte bereits begonnen, daher wird sie nicht stillschweigend wiederholt.</translation>
    </message>
    <message>
        <source>Repeated 529 Overloaded errors.</source>
        <translation>Wiederholte Fehler 529 Overloaded.</translation>
    </message>
    <message>
        <source>Gave up after %1 retries.</source>
        <translation>Nach %1 Wiederholungen aufgegeben.</translation>
    </message>
    <message>
        <source>The API asked to wait %1 s before retrying, longer than the 60 s Qlaude waits.</source>
        <translation>Die API hat verlangt, vor einer Wiederholung %1 s zu warten, länger als die 60 s, die Qlaude wartet.</translation>
    </message>
</context>
<context>
    <name>qlaude::SettingsDialog</name>
    <message>
        <source>%1 cannot be read (%2).</source>
        <translation>%1 kann nicht gelesen werden (%2).</translation>
    </message>
    <message>
        <source>Provider Settings</source>
        <translation>Anbietereinstellungen</translation>
    </message>
    <message>
        <source>Provider settings</source>
        <translation>Anbietereinstellungen</translation>
    </message>
    <message>
        <source>Problem</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Problem</translation>
    </message>
    <message>
        <source>Providers</source>
        <translation>Anbieter</translation>
    </message>
    <message>
        <source>Where settings are saved</source>
        <translation>Speicherort der Einstellungen</translation>
    </message>
    <message>
        <source>Status</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Status</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Speichern</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>Save writes the env block of %1, where Claude Code reads these settings too. Secrets go only to the keychain.</source>
        <translation>„Speichern“ schreibt den env-Block von %1, wo auch Claude Code diese Einstellungen liest. Geheimnisse kommen nur in den Schlüsselbund.</translation>
    </message>
    <message>
        <source>Your user settings file cannot be read: %1
Qlaude will not change it until it reads correctly. Fix it in a text editor, then reopen this dialog.</source>
        <translation>Ihre Benutzereinstellungsdatei kann nicht gelesen werden: %1
Qlaude ändert sie erst, wenn sie sich korrekt lesen lässt. Korrigieren Sie sie in einem Texteditor und öffnen Sie diesen Dialog dann erneut.</translation>
    </message>
    <message>
        <source>Fix the fields marked on the %1 page; nothing was saved.</source>
        <translation>Korrigieren Sie die markierten Felder auf der Seite %1; es wurde nichts gespeichert.</translation>
    </message>
    <message>
        <source>Nothing has changed, so nothing was saved.</source>
        <translation>Es hat sich nichts geändert, daher wurde nichts gespeichert.</translation>
    </message>
    <message>
        <source>%1
Nothing was saved, so nothing in the file is lost. Fix it in a text editor, then press Save again.</source>
        <translation>%1
Es wurde nichts gespeichert, daher geht in der Datei nichts verloren. Korrigieren Sie sie in einem Texteditor und klicken Sie dann erneut auf „Speichern“.</translation>
    </message>
    <message>
        <source>Nothing was saved.</source>
        <translation>Es wurde nichts gespeichert.</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Wird gespeichert…</translation>
    </message>
    <message>
        <source>%1 was not saved: no keychain is available.</source>
        <translation>%1 wurde nicht gespeichert: Es ist kein Schlüsselbund verfügbar.</translation>
    </message>
    <message>
        <source>%1 was not saved: the keychain is locked. Unlock it and press Save again.</source>
        <translation>%1 wurde nicht gespeichert: Der Schlüsselbund ist gesperrt. Entsperren Sie ihn und klicken Sie erneut auf „Speichern“.</translation>
    </message>
    <message>
        <source>%1 was not saved: %2</source>
        <translation>%1 wurde nicht gespeichert: %2</translation>
    </message>
    <message>
        <source>The settings file was not changed.</source>
        <translation>Die Einstellungsdatei wurde nicht geändert.</translation>
    </message>
    <message>
        <source>Saved in the keychain.</source>
        <translation>Im Schlüsselbund gespeichert.</translation>
    </message>
    <message>
        <source>Saved to %1.</source>
        <translation>In %1 gespeichert.</translation>
    </message>
    <message>
        <source>Testing %1…</source>
        <translation>%1 wird getestet…</translation>
    </message>
    <message>
        <source>Tested %1.</source>
        <translation>%1 getestet.</translation>
    </message>
    <message>
        <source>No settings are loaded, so nothing can be tested.</source>
        <translation>Es sind keine Einstellungen geladen, daher kann nichts getestet werden.</translation>
    </message>
    <message>
        <source>Log in first.</source>
        <translation>Melden Sie sich zuerst an.</translation>
    </message>
    <message>
        <source>Set up AWS credentials (see the lines above).</source>
        <translation>Richten Sie AWS-Anmeldedaten ein (siehe die Zeilen oben).</translation>
    </message>
    <message>
        <source>Set up Google credentials (see the lines above).</source>
        <translation>Richten Sie Google-Anmeldedaten ein (siehe die Zeilen oben).</translation>
    </message>
    <message>
        <source>Add an API key or set up Microsoft Entra ID (see the lines above).</source>
        <translation>Fügen Sie einen API-Schlüssel hinzu oder richten Sie Microsoft Entra ID ein (siehe die Zeilen oben).</translation>
    </message>
    <message>
        <source>No request was sent: there is no usable credential. %1</source>
        <translation>Es wurde keine Anfrage gesendet: Es gibt keine nutzbaren Anmeldedaten. %1</translation>
    </message>
    <message>
        <source>Sending a request to %1…</source>
        <translation>Anfrage an %1 wird gesendet…</translation>
    </message>
    <message>
        <source>Connected: %1 answered a one-token message from %2 in %3 ms.</source>
        <translation>Verbunden: %1 hat eine Ein-Token-Nachricht von %2 in %3 ms beantwortet.</translation>
    </message>
    <message numerus="yes">
        <source>Connected: %1 answered in %2 ms and lists %n model(s).</source>
        <translation>
            <numerusform>Verbunden: %1 hat in %2 ms geantwortet und listet %n Modell auf.</numerusform>
            <numerusform>Verbunden: %1 hat in %2 ms geantwortet und listet %n Modelle auf.</numerusform>
        </translation>
    </message>
    <message>
        <source>Provider</source>
        <translation>Anbieter</translation>
    </message>
    <message>
        <source>Fix the fields marked on the %1 page; nothing was tested.</source>
        <translation>Korrigieren Sie die markierten Felder auf der Seite %1; es wurde nichts getestet.</translation>
    </message>
    <message>
        <source>This tests what is shown here, including changes that are not saved yet.</source>
        <translation>Dieser Test verwendet, was hier angezeigt wird, einschließlich noch nicht gespeicherter Änderungen.</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>Verbindungen</translation>
    </message>
</context>
<context>
    <name>qlaude::SettingsLayers</name>
    <message>
        <source>%1: cannot be read (%2). Check its permissions.</source>
        <translation>%1: kann nicht gelesen werden (%2). Prüfen Sie die Berechtigungen.</translation>
    </message>
    <message>
        <source>%1: is not a regular file (it is %2). Qlaude reads settings only from regular files; this one is ignored.</source>
        <translation>%1: ist keine reguläre Datei (sondern %2). Qlaude liest Einstellungen nur aus regulären Dateien; diese wird ignoriert.</translation>
    </message>
    <message>
        <source>%1: is larger than 4 MiB (%2 bytes). Qlaude does not read settings files that large; this one is ignored.</source>
        <translation>%1: ist größer als 4 MiB (%2 Bytes). Qlaude liest so große Einstellungsdateien nicht; diese wird ignoriert.</translation>
    </message>
    <message>
        <source>a FIFO</source>
        <translation>ein FIFO</translation>
    </message>
    <message>
        <source>a device</source>
        <translation>ein Gerät</translation>
    </message>
    <message>
        <source>a directory</source>
        <translation>ein Ordner</translation>
    </message>
    <message>
        <source>a socket</source>
        <translation>ein Socket</translation>
    </message>
    <message>
        <source>a special file</source>
        <translation>eine Spezialdatei</translation>
    </message>
    <message>
        <source>%1: line %2, column %3: %4. Fix the JSON; this file is ignored until then.</source>
        <translation>%1: Zeile %2, Spalte %3: %4. Korrigieren Sie das JSON; bis dahin wird diese Datei ignoriert.</translation>
    </message>
    <message>
        <source>%1: line 1, column 1: the settings must be a JSON object ({ ... }). This file is ignored until then.</source>
        <translation>%1: Zeile 1, Spalte 1: Die Einstellungen müssen ein JSON-Objekt sein ({ ... }). Bis dahin wird diese Datei ignoriert.</translation>
    </message>
    <message>
        <source>%1: the file given to --settings does not exist.</source>
        <translation>%1: Die mit --settings angegebene Datei existiert nicht.</translation>
    </message>
    <message>
        <source>Ignored the %1 settings: %2</source>
        <translation>Die %1-Einstellungen wurden ignoriert: %2</translation>
    </message>
</context>
<context>
    <name>qlaude::SingleInstance</name>
    <message>
        <source>Qlaude&apos;s runtime folder %1 could not be made private; this window runs on its own.</source>
        <translation>Der Laufzeitordner %1 von Qlaude konnte nicht privat gemacht werden; dieses Fenster läuft eigenständig.</translation>
    </message>
    <message>
        <source>Another Qlaude is still starting; this window runs on its own.</source>
        <translation>Ein anderes Qlaude startet noch; dieses Fenster läuft eigenständig.</translation>
    </message>
    <message>
        <source>Qlaude is already running but did not answer; this window runs on its own.</source>
        <translation>Qlaude läuft bereits, hat aber nicht geantwortet; dieses Fenster läuft eigenständig.</translation>
    </message>
    <message>
        <source>Qlaude could not listen on %1 (%2); a later launch opens a window of its own.</source>
        <translation>Qlaude konnte auf %1 nicht auf Verbindungen warten (%2); ein späterer Start öffnet ein eigenes Fenster.</translation>
    </message>
    <message>
        <source>The running Qlaude cannot open the workspace %1: it does not exist.</source>
        <translation>Das laufende Qlaude kann den Arbeitsbereich %1 nicht öffnen: Er existiert nicht.</translation>
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
        <translation>Ein vom Server gesendetes Ereignis hat die Grenze von %1 überschritten; der Stream wurde angehalten.</translation>
    </message>
</context>
<context>
    <name>qlaude::StatusLine</name>
    <message>
        <source>Status</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Status</translation>
    </message>
    <message>
        <source>Provider and credential</source>
        <translation>Anbieter und Anmeldedaten</translation>
    </message>
    <message>
        <source>Credential warning</source>
        <translation>Warnung zu Anmeldedaten</translation>
    </message>
    <message>
        <source>Last action</source>
        <translation>Letzte Aktion</translation>
    </message>
    <message>
        <source>Token usage</source>
        <translation>Token-Verbrauch</translation>
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
        <translation>%1 bei %2</translation>
    </message>
    <message>
        <source>Keychain locked</source>
        <translation>Schlüsselbund gesperrt</translation>
    </message>
    <message>
        <source>Not logged in</source>
        <translation>Nicht angemeldet</translation>
    </message>
    <message>
        <source>AWS keys from the environment</source>
        <translation>AWS-Schlüssel aus der Umgebung</translation>
    </message>
    <message>
        <source>AWS credentials from %1</source>
        <translation>AWS-Anmeldedaten aus %1</translation>
    </message>
    <message>
        <source>Google %1 key %2</source>
        <translation>Google-Schlüssel %2 (%1)</translation>
    </message>
    <message>
        <source>Google credentials from gcloud</source>
        <translation>Google-Anmeldedaten aus gcloud</translation>
    </message>
    <message>
        <source>Google credentials from the %1</source>
        <translation>Google-Anmeldedaten (%1)</translation>
    </message>
    <message>
        <source>Entra ID from %1</source>
        <translation>Entra ID aus %1</translation>
    </message>
    <message>
        <source>No authentication sent (%1)</source>
        <translation>Keine Authentifizierung gesendet (%1)</translation>
    </message>
    <message>
        <source>Bedrock API key from keychain</source>
        <translation>Bedrock-API-Schlüssel aus dem Schlüsselbund</translation>
    </message>
    <message>
        <source>Foundry API key from keychain</source>
        <translation>Foundry-API-Schlüssel aus dem Schlüsselbund</translation>
    </message>
    <message>
        <source>%1 from the environment</source>
        <translation>%1 aus der Umgebung</translation>
    </message>
    <message>
        <source>%1 from %2</source>
        <translation>%1 aus %2</translation>
    </message>
    <message>
        <source>Key from apiKeyHelper</source>
        <translation>Schlüssel aus apiKeyHelper</translation>
    </message>
    <message>
        <source>API key from keychain</source>
        <translation>API-Schlüssel aus dem Schlüsselbund</translation>
    </message>
    <message>
        <source>Bearer token from keychain</source>
        <translation>Bearer-Token aus dem Schlüsselbund</translation>
    </message>
    <message>
        <source>SSO token from keychain</source>
        <translation>SSO-Token aus dem Schlüsselbund</translation>
    </message>
    <message>
        <source>Claude.ai login from keychain</source>
        <translation>Claude.ai-Anmeldung aus dem Schlüsselbund</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>overrides your stored Claude.ai login</source>
        <translation>hat Vorrang vor Ihrer gespeicherten Claude.ai-Anmeldung</translation>
    </message>
    <message>
        <source>overrides the API key stored in your keychain</source>
        <translation>hat Vorrang vor dem API-Schlüssel in Ihrem Schlüsselbund</translation>
    </message>
    <message>
        <source>No tokens used yet</source>
        <translation>Noch keine Tokens verbraucht</translation>
    </message>
    <message>
        <source>Last turn %1 in · %2 out · %3 cache read    Conversation %4 in · %5 out · %6 cache read</source>
        <translation>Letzter Wortwechsel %1 ein · %2 aus · %3 aus Cache    Unterhaltung %4 ein · %5 aus · %6 aus Cache</translation>
    </message>
    <message>
        <source>Input tokens count the whole prompt of each turn. Cache writes: %1 last turn, %2 in the conversation.</source>
        <translation>Eingabe-Tokens zählen den gesamten Prompt jedes Wortwechsels. Cache-Schreibvorgänge: %1 im letzten Wortwechsel, %2 in der Unterhaltung.</translation>
    </message>
</context>
<context>
    <name>qlaude::SubscriptionLogin</name>
    <message>
        <source>Signing in with a Claude account is not available in this build; use an API key, a gateway token or a cloud provider.</source>
        <translation>Die Anmeldung mit einem Claude-Konto ist in diesem Build nicht verfügbar; verwenden Sie einen API-Schlüssel, ein Gateway-Token oder einen Cloud-Anbieter.</translation>
    </message>
    <message>
        <source>More…</source>
        <translation>Mehr…</translation>
    </message>
    <message>
        <source>Sign in with your organization…</source>
        <translation>Mit Ihrer Organisation anmelden…</translation>
    </message>
    <message>
        <source>Sign in with your Claude account…</source>
        <translation>Mit Ihrem Claude-Konto anmelden…</translation>
    </message>
    <message>
        <source>Sign in in an embedded browser</source>
        <translation>Im eingebetteten Browser anmelden</translation>
    </message>
    <message>
        <source>Or &lt;a href=&quot;system&quot;&gt;use your web browser&lt;/a&gt;, or &lt;a href=&quot;manual&quot;&gt;paste a code&lt;/a&gt;.</source>
        <translation>Oder &lt;a href=&quot;system&quot;&gt;verwenden Sie Ihren Webbrowser&lt;/a&gt; oder &lt;a href=&quot;manual&quot;&gt;fügen Sie einen Code ein&lt;/a&gt;.</translation>
    </message>
    <message>
        <source>Preparing the sign-in…</source>
        <translation>Anmeldung wird vorbereitet…</translation>
    </message>
    <message>
        <source>Finishing the sign-in…</source>
        <translation>Anmeldung wird abgeschlossen…</translation>
    </message>
    <message>
        <source>Finish signing in in your web browser; this window continues by itself.</source>
        <translation>Schließen Sie die Anmeldung in Ihrem Webbrowser ab; dieses Fenster fährt dann von selbst fort.</translation>
    </message>
    <message>
        <source>Paste the code</source>
        <translation>Code einfügen</translation>
    </message>
    <message>
        <source>The sign-in address was copied to the clipboard. Open it in any browser, sign in, and paste the code shown at the end (code#state):</source>
        <translation>Die Anmeldeadresse wurde in die Zwischenablage kopiert. Öffnen Sie sie in einem beliebigen Browser, melden Sie sich an und fügen Sie den am Ende angezeigten Code ein (code#state):</translation>
    </message>
    <message>
        <source>That code was not accepted. Copy the whole code, including the part after #, and try again.</source>
        <translation>Dieser Code wurde nicht akzeptiert. Kopieren Sie den ganzen Code einschließlich des Teils nach #, und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>Waiting for you to finish signing in…</source>
        <translation>Warten auf den Abschluss Ihrer Anmeldung…</translation>
    </message>
    <message>
        <source>Signed in.</source>
        <translation>Angemeldet.</translation>
    </message>
</context>
<context>
    <name>qlaude::SystemBrowser</name>
    <message>
        <source>No browser could be started: xdg-open is not installed and BROWSER is not set.</source>
        <translation>Es konnte kein Browser gestartet werden: xdg-open ist nicht installiert und BROWSER ist nicht gesetzt.</translation>
    </message>
    <message>
        <source>No browser could be started from BROWSER or xdg-open.</source>
        <translation>Es konnte weder über BROWSER noch über xdg-open ein Browser gestartet werden.</translation>
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
        <translation>%1 Bytes</translation>
    </message>
    <message>
        <source>%1 did not answer within %2 s</source>
        <translation>%1 hat nicht innerhalb von %2 s geantwortet</translation>
    </message>
    <message>
        <source>the answer from %1 is longer than %2 and was cut off</source>
        <translation>die Antwort von %1 ist länger als %2 und wurde abgeschnitten</translation>
    </message>
    <message>
        <source>could not reach %1: %2</source>
        <translation>%1 nicht erreichbar: %2</translation>
    </message>
    <message>
        <source>%1 answered with a redirect (HTTP %2%3); token requests never follow redirects</source>
        <translation>%1 hat mit einer Weiterleitung geantwortet (HTTP %2%3); Token-Anfragen folgen nie Weiterleitungen</translation>
    </message>
    <message>
        <source> to %1</source>
        <translation> nach %1</translation>
    </message>
    <message>
        <source>the connection to %1 broke: %2</source>
        <translation>die Verbindung zu %1 ist abgebrochen: %2</translation>
    </message>
    <message>
        <source>%1 answered HTTP %2%3</source>
        <translation>%1 hat mit HTTP %2%3 geantwortet</translation>
    </message>
    <message>
        <source>(no host)</source>
        <translation>(kein Host)</translation>
    </message>
    <message>
        <source>the proxy asked for credentials and proxyAuthHelper failed: %1</source>
        <translation>der Proxy hat nach Anmeldedaten gefragt, und proxyAuthHelper ist fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>could not reach %1: only http and https URLs are allowed</source>
        <translation>%1 nicht erreichbar: Nur http- und https-URLs sind erlaubt</translation>
    </message>
</context>
<context>
    <name>qlaude::Translations</name>
    <message>
        <source>Qlaude has no texts in the language &quot;%1&quot;. Use --lang with one of: %2.</source>
        <translation>Qlaude hat keine Texte in der Sprache „%1“. Verwenden Sie --lang mit einer von: %2.</translation>
    </message>
</context>
<context>
    <name>qlaude::TrustDialog</name>
    <message>
        <source>Trust this folder?</source>
        <translation>Diesem Ordner vertrauen?</translation>
    </message>
    <message>
        <source>Workspace trust</source>
        <translation>Vertrauen in den Arbeitsbereich</translation>
    </message>
    <message>
        <source>Do you trust the settings in this folder?</source>
        <translation>Vertrauen Sie den Einstellungen in diesem Ordner?</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>Frage</translation>
    </message>
    <message>
        <source>Explanation</source>
        <translation>Erklärung</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <source>Home folder note</source>
        <translation>Hinweis zum persönlichen Ordner</translation>
    </message>
    <message>
        <source>This is your home folder. If you trust it, the trust lasts for this run only; Qlaude asks again the next time it starts here.</source>
        <translation>Dies ist Ihr persönlicher Ordner. Wenn Sie ihm vertrauen, gilt das nur für diese Sitzung; Qlaude fragt beim nächsten Start hier erneut.</translation>
    </message>
    <message numerus="yes">
        <source>%n other setting(s) from this folder were approved before and have not changed.</source>
        <translation>
            <numerusform>%n weitere Einstellung aus diesem Ordner wurde bereits genehmigt und hat sich nicht geändert.</numerusform>
            <numerusform>%n weitere Einstellungen aus diesem Ordner wurden bereits genehmigt und haben sich nicht geändert.</numerusform>
        </translation>
    </message>
    <message>
        <source>Never trust a workspace from an untrusted source, as it could use these helpers to exfiltrate your API keys or run malicious commands on your behalf.</source>
        <translation>Vertrauen Sie niemals einem Arbeitsbereich aus einer nicht vertrauenswürdigen Quelle: Er könnte über diese Hilfsprogramme Ihre API-Schlüssel abgreifen oder in Ihrem Namen schädliche Befehle ausführen.</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Warnung</translation>
    </message>
    <message>
        <source>If you choose Don&apos;t trust, Qlaude goes on without these settings and does not ask again until they change. File &gt; Trust This Folder asks again.</source>
        <translation>Wenn Sie „Nicht vertrauen“ wählen, fährt Qlaude ohne diese Einstellungen fort und fragt erst wieder, wenn sie sich ändern. Datei &gt; Diesem Ordner vertrauen fragt erneut.</translation>
    </message>
    <message>
        <source>What Don&apos;t trust does</source>
        <translation>Was „Nicht vertrauen“ bewirkt</translation>
    </message>
    <message>
        <source>&amp;Trust this folder</source>
        <translation>Diesem Ordner &amp;vertrauen</translation>
    </message>
    <message>
        <source>Trust this folder</source>
        <translation>Diesem Ordner vertrauen</translation>
    </message>
    <message>
        <source>&amp;Don&apos;t trust</source>
        <translation>&amp;Nicht vertrauen</translation>
    </message>
    <message>
        <source>Don&apos;t trust</source>
        <translation>Nicht vertrauen</translation>
    </message>
    <message>
        <source>A file that a command in this folder&apos;s settings runs changed since you trusted the folder. The command will not run until you approve it again. The changed files are named below.</source>
        <translation>Eine Datei, die ein Befehl aus den Einstellungen dieses Ordners ausführt, hat sich geändert, seit Sie dem Ordner vertraut haben. Der Befehl wird erst ausgeführt, wenn Sie ihn erneut genehmigen. Die geänderten Dateien sind unten aufgeführt.</translation>
    </message>
    <message>
        <source>A command in this folder&apos;s settings changed since you trusted the folder. It will not run until you approve the new command. Compare the two below.</source>
        <translation>Ein Befehl in den Einstellungen dieses Ordners hat sich geändert, seit Sie dem Ordner vertraut haben. Er wird erst ausgeführt, wenn Sie den neuen Befehl genehmigen. Vergleichen Sie die beiden unten.</translation>
    </message>
    <message>
        <source>Settings in this folder would run the commands below on your computer, or change where Qlaude sends your credentials. They take effect only if you trust the folder.</source>
        <translation>Einstellungen in diesem Ordner würden die folgenden Befehle auf Ihrem Computer ausführen oder ändern, wohin Qlaude Ihre Anmeldedaten sendet. Sie werden nur wirksam, wenn Sie dem Ordner vertrauen.</translation>
    </message>
    <message>
        <source>%1 runs this command</source>
        <translation>%1 führt diesen Befehl aus</translation>
    </message>
    <message>
        <source>%1 sets this environment variable</source>
        <translation>%1 setzt diese Umgebungsvariable</translation>
    </message>
    <message>
        <source>%1 changed since you approved it</source>
        <translation>%1 hat sich seit Ihrer Genehmigung geändert</translation>
    </message>
    <message>
        <source>A file that %1 runs changed since you approved it</source>
        <translation>Eine Datei, die %1 ausführt, hat sich seit Ihrer Genehmigung geändert</translation>
    </message>
    <message>
        <source>From %1</source>
        <translation>Aus %1</translation>
    </message>
    <message>
        <source>Settings file</source>
        <translation>Einstellungsdatei</translation>
    </message>
    <message>
        <source>Approved before:</source>
        <translation>Zuvor genehmigt:</translation>
    </message>
    <message>
        <source>%1, command approved before</source>
        <translation>%1, zuvor genehmigter Befehl</translation>
    </message>
    <message>
        <source>Now:</source>
        <translation>Jetzt:</translation>
    </message>
    <message>
        <source>Changed: %1</source>
        <translation>Geändert: %1</translation>
    </message>
    <message>
        <source>Changed files</source>
        <translation>Geänderte Dateien</translation>
    </message>
    <message>
        <source>%1, command</source>
        <translation>%1, Befehl</translation>
    </message>
    <message>
        <source>%1, value</source>
        <translation>%1, Wert</translation>
    </message>
</context>
<context>
    <name>qlaude::TrustStore</name>
    <message>
        <source>Cannot write the trust decisions to %1 (%2).</source>
        <translation>Die Vertrauensentscheidungen können nicht nach %1 geschrieben werden (%2).</translation>
    </message>
    <message>
        <source>Cannot save the trust decisions to %1 (%2).</source>
        <translation>Die Vertrauensentscheidungen können nicht in %1 gespeichert werden (%2).</translation>
    </message>
    <message>
        <source>This folder is trusted; its settings run no commands.</source>
        <translation>Diesem Ordner wird vertraut; seine Einstellungen führen keine Befehle aus.</translation>
    </message>
    <message>
        <source>This folder&apos;s settings run no commands, so no trust is needed.</source>
        <translation>Die Einstellungen dieses Ordners führen keine Befehle aus, daher ist kein Vertrauen nötig.</translation>
    </message>
    <message>
        <source>You chose not to trust this folder: its settings&apos; commands and variables are ignored. To change that, use File &gt; Trust This Folder, or qlaude --trust.</source>
        <translation>Sie haben entschieden, diesem Ordner nicht zu vertrauen: Die Befehle und Variablen seiner Einstellungen werden ignoriert. Um das zu ändern, verwenden Sie Datei &gt; Diesem Ordner vertrauen oder qlaude --trust.</translation>
    </message>
    <message>
        <source>This folder is trusted (decision for %1); its commands were approved exactly as they are now.</source>
        <translation>Diesem Ordner wird vertraut (Entscheidung für %1); seine Befehle wurden genau so genehmigt, wie sie jetzt sind.</translation>
    </message>
    <message>
        <source>A file that a command in this folder&apos;s settings runs changed since it was approved (%1). The command will not run until you trust the folder again (qlaude --trust).</source>
        <translation>Eine Datei, die ein Befehl in den Einstellungen dieses Ordners ausführt, hat sich seit der Genehmigung geändert (%1). Der Befehl wird erst ausgeführt, wenn Sie dem Ordner erneut vertrauen (qlaude --trust).</translation>
    </message>
    <message>
        <source>A command in this folder&apos;s settings changed since it was approved. It will not run until you trust the folder again (qlaude --trust).</source>
        <translation>Ein Befehl in den Einstellungen dieses Ordners hat sich seit der Genehmigung geändert. Er wird erst ausgeführt, wenn Sie dem Ordner erneut vertrauen (qlaude --trust).</translation>
    </message>
    <message>
        <source>The folder is trusted through %1, but these settings were never approved. They will not run until you trust this folder (qlaude --trust).</source>
        <translation>Dem Ordner wird über %1 vertraut, aber diese Einstellungen wurden nie genehmigt. Sie werden erst wirksam, wenn Sie diesem Ordner vertrauen (qlaude --trust).</translation>
    </message>
    <message>
        <source>This folder is not trusted. Its settings would run commands or change where your credentials go; they are ignored until you trust the folder (qlaude --trust).</source>
        <translation>Diesem Ordner wird nicht vertraut. Seine Einstellungen würden Befehle ausführen oder ändern, wohin Ihre Anmeldedaten gehen; sie werden ignoriert, bis Sie dem Ordner vertrauen (qlaude --trust).</translation>
    </message>
</context>
<context>
    <name>qlaude::VertexClient</name>
    <message>
        <source>Google Vertex AI has no model list in the Messages API</source>
        <translation>Google Vertex AI bietet in der Messages API keine Modellliste</translation>
    </message>
    <message>
        <source>No Vertex AI model id is set (ANTHROPIC_MODEL)</source>
        <translation>Es ist keine Vertex-AI-Modell-ID festgelegt (ANTHROPIC_MODEL)</translation>
    </message>
    <message>
        <source>No Google access token is available</source>
        <translation>Es ist kein Google-Zugriffstoken verfügbar</translation>
    </message>
    <message>
        <source>Check the Google credentials shown by qlaude --doctor (for example run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS).</source>
        <translation>Prüfen Sie die von qlaude --doctor angezeigten Google-Anmeldedaten (führen Sie zum Beispiel `gcloud auth application-default login` aus oder setzen Sie GOOGLE_APPLICATION_CREDENTIALS).</translation>
    </message>
    <message>
        <source>No Google Cloud project is set for Vertex AI%1</source>
        <translation>Für Vertex AI ist kein Google-Cloud-Projekt festgelegt%1</translation>
    </message>
    <message>
        <source>Set ANTHROPIC_VERTEX_PROJECT_ID (or GOOGLE_CLOUD_PROJECT) to your project id.</source>
        <translation>Setzen Sie ANTHROPIC_VERTEX_PROJECT_ID (oder GOOGLE_CLOUD_PROJECT) auf Ihre Projekt-ID.</translation>
    </message>
    <message>
        <source>Running gcpAuthRefresh…</source>
        <translation>gcpAuthRefresh wird ausgeführt…</translation>
    </message>
    <message>
        <source>your project</source>
        <translation>Ihrem Projekt</translation>
    </message>
    <message>
        <source>project %1</source>
        <translation>Projekt %1</translation>
    </message>
    <message>
        <source>The Google credentials from %1 were rejected or have expired. Run `gcloud auth application-default login` (or your gcpAuthRefresh), then try again.</source>
        <translation>Die Google-Anmeldedaten aus %1 wurden abgelehnt oder sind abgelaufen. Führen Sie `gcloud auth application-default login` (oder Ihr gcpAuthRefresh) aus und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>Application Default Credentials</source>
        <translatorcomment>same as source</translatorcomment>
        <translation>Application Default Credentials</translation>
    </message>
    <message>
        <source>The Vertex AI quota for %1 in %2 is used up. Wait a moment, or request a higher quota in the Google Cloud console.</source>
        <translation>Das Vertex-AI-Kontingent für %1 in %2 ist aufgebraucht. Warten Sie einen Moment oder beantragen Sie in der Google Cloud Console ein höheres Kontingent.</translation>
    </message>
    <message>
        <source>The Vertex AI API is not enabled in %1. Enable aiplatform.googleapis.com in the Google Cloud console.</source>
        <translation>Die Vertex AI API ist in %1 nicht aktiviert. Aktivieren Sie aiplatform.googleapis.com in der Google Cloud Console.</translation>
    </message>
    <message>
        <source>Model %1 is not available in %2 for %3. Enable it in Model Garden, or choose another region with CLOUD_ML_REGION or %4.</source>
        <translation>Modell %1 ist in %2 bei %3 nicht verfügbar. Aktivieren Sie es im Model Garden oder wählen Sie mit CLOUD_ML_REGION oder %4 eine andere Region.</translation>
    </message>
    <message>
        <source>a VERTEX_REGION_CLAUDE_* variable</source>
        <translation>einer VERTEX_REGION_CLAUDE_*-Variablen</translation>
    </message>
    <message>
        <source>Your Google identity may not call Vertex AI in %1: it needs the Vertex AI User role (aiplatform.endpoints.predict).</source>
        <translation>Ihre Google-Identität darf Vertex AI in %1 nicht aufrufen: Sie benötigt die Rolle „Vertex AI User“ (aiplatform.endpoints.predict).</translation>
    </message>
</context>
<context>
    <name>qlaude::VertexConfig</name>
    <message>
        <source>default; set CLOUD_ML_REGION to change it</source>
        <translation>Standard; setzen Sie CLOUD_ML_REGION, um die Region zu ändern</translation>
    </message>
    <message>
        <source>The Vertex AI region &quot;%1&quot; (%2) is not a region name such as us-east5 or global</source>
        <translation>Die Vertex-AI-Region „%1“ (%2) ist kein Regionsname wie us-east5 oder global</translation>
    </message>
    <message>
        <source>No Google Cloud project is set for Vertex AI. Set ANTHROPIC_VERTEX_PROJECT_ID (or GOOGLE_CLOUD_PROJECT) to your project id</source>
        <translation>Für Vertex AI ist kein Google-Cloud-Projekt festgelegt. Setzen Sie ANTHROPIC_VERTEX_PROJECT_ID (oder GOOGLE_CLOUD_PROJECT) auf Ihre Projekt-ID</translation>
    </message>
    <message>
        <source>ANTHROPIC_VERTEX_BASE_URL is not an http(s) URL</source>
        <translation>ANTHROPIC_VERTEX_BASE_URL ist keine http(s)-URL</translation>
    </message>
</context>
</TS>
