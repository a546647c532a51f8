/*
  lambda-ir bundled YARA-X rules for Lambda code and layer packages.
  meta: title (one line), severity (info|low|medium|high|critical), attack (comma-separated
  ATT&CK ids), context (optional: "not-custom-runtime" = ignore in provided.* runtimes and the
  AWS runtime interface clients, "not-sdk" = ignore inside AWS SDK folders).
*/

rule LIR_Denonia_Lambda_Malware
{
    meta:
        title = "Denonia Lambda malware (Go ELF with DoH and an embedded XMRig)"
        severity = "critical"
        attack = "T1496,T1071.004"
        description = "Re-authored from Cado Security's published rule `lambda_malware` (author cdoman@cadosecurity.com, Apache-2.0): https://www.cadosecurity.com/cado-discovers-denonia-the-first-malware-specifically-targeting-lambda/"
        credit = "Cado Security, Apache License 2.0"
    strings:
        $doh = "github.com/likexian/doh-go/provider/" ascii
        $ua = "Mozilla/5.0 (compatible; Ezooms/1.0; help@moz.com)" ascii
        $pool = "username:password pair for mining server" ascii
    condition:
        filesize < 30000KB and all of them
}

rule LIR_Denonia_Lambda_Go_Traits
{
    meta:
        title = "Go ELF combining the Lambda Go runtime with DNS-over-HTTPS (Denonia-like)"
        severity = "high"
        attack = "T1071.004,T1496"
        description = "Later Denonia samples defeat the strings above; this keeps the structural trait Cado describes: aws-lambda-go plus doh-go in one ELF."
    strings:
        $lambda = "github.com/aws/aws-lambda-go/lambda" ascii
        $doh = "github.com/likexian/doh-go" ascii
    condition:
        uint32(0) == 0x464c457f and all of them
}

rule LIR_Cryptominer_Stratum_XMRig
{
    meta:
        title = "Cryptocurrency miner (XMRig or stratum pool configuration)"
        severity = "critical"
        attack = "T1496"
    strings:
        $stratum1 = "stratum+tcp://" ascii wide nocase
        $stratum2 = "stratum+ssl://" ascii wide nocase
        $stratum3 = "stratum2+tcp://" ascii wide nocase
        $xmrig = "xmrig" ascii nocase
        $randomx = "randomx" ascii nocase
        $donate = "donate-level" ascii nocase
        $nicehash = "nicehash" ascii nocase
        $cfg = "\"pools\"" ascii
    condition:
        any of ($stratum*) or ($xmrig and ($randomx or $donate or $cfg)) or ($nicehash and $cfg)
}

rule LIR_Reverse_Shell
{
    meta:
        title = "Reverse shell"
        severity = "critical"
        attack = "T1059.004,T1071.001"
    strings:
        $bash_tcp = /bash\s+-i\s*>&?\s*\/dev\/tcp\// ascii
        $dev_tcp = /\/dev\/tcp\/[0-9a-zA-Z.\-]+\/[0-9]+/ ascii
        $nc_e = /\b(nc|ncat|netcat)\b[^\n]{0,40}\s-e\s+\/bin\/(ba)?sh/ ascii
        $mkfifo = /mkfifo\s+\/tmp\/[^\n]{0,80}\b(nc|sh)\b/ ascii
        $py_dup2 = "os.dup2(" ascii
        $py_socket = "socket.socket(" ascii
        $py_pty = /pty\.spawn\(\s*["']\/bin\/(ba)?sh/ ascii
        $py_shell = /subprocess\.(call|Popen|run)\(\s*\[\s*["']\/bin\/(ba)?sh["']\s*,\s*["']-i["']/ ascii
        $node_cp = "child_process" ascii
        $node_net = /new\s+net\.Socket\(|net\.connect\(|net\.createConnection\(/ ascii
        $node_sh = /spawn\(\s*["']\/bin\/(ba)?sh["']/ ascii
    condition:
        $bash_tcp or $dev_tcp or $nc_e or $mkfifo or $py_pty or $py_shell
        or ($py_socket and $py_dup2)
        or ($node_cp and $node_net and $node_sh)
}

rule LIR_Credential_Harvest_Exfiltration
{
    meta:
        title = "Execution-role credential harvesting followed by an outbound request"
        severity = "high"
        attack = "T1552.005,T1041"
        context = "not-sdk"
    strings:
        $environ = "/proc/self/environ" ascii
        $env_dump1 = /json\.dumps\([^)]{0,120}os\.environ/ ascii
        $env_dump2 = /JSON\.stringify\([^)]{0,120}process\.env\b/ ascii
        $env_dump3 = /str\(\s*os\.environ\s*\)/ ascii
        $token = "AWS_SESSION_TOKEN" ascii
        $secret = "AWS_SECRET_ACCESS_KEY" ascii
        $out1 = /requests\.(post|put|get)\(/ ascii
        $out2 = /urllib\.request\.(urlopen|Request)\(/ ascii
        $out3 = /https?\.request\(/ ascii
        $out4 = /fetch\(\s*["'`]https?:/ ascii
        $out5 = /axios\.(post|put|get)\(/ ascii
        $out6 = /http\.client\.HTTPS?Connection\(/ ascii
        $out7 = /\bcurl\s+(-[a-zA-Z]+\s+)*["']?https?:/ ascii
        $out8 = "socket.connect(" ascii
    condition:
        any of ($out*) and ($environ or any of ($env_dump*) or (filesize < 64KB and $token and $secret))
}

rule LIR_Runtime_API_Hijack
{
    meta:
        title = "Code that polls the Lambda Runtime API itself (runtime hijack / warm persistence)"
        severity = "high"
        attack = "T1546,T1574"
        context = "not-custom-runtime"
    strings:
        $next = "/2018-06-01/runtime/invocation/next" ascii
        $api = "AWS_LAMBDA_RUNTIME_API" ascii
    condition:
        $next and $api
}

rule LIR_Obfuscated_Payload
{
    meta:
        title = "Obfuscated code executed at run time"
        severity = "medium"
        attack = "T1027,T1059"
    strings:
        $py1 = /exec\(\s*(base64\.b64decode|zlib\.decompress|marshal\.loads|codecs\.decode)\(/ ascii
        $py2 = /eval\(\s*(base64\.b64decode|compile\()/ ascii
        $py3 = /__import__\(\s*["']base64["']\s*\)\.b64decode\(/ ascii
        $js1 = "eval(function(p,a,c,k,e," ascii
        $js2 = /(eval|Function)\(\s*(atob|Buffer\.from)\(/ ascii
        $js3 = /eval\(\s*Buffer\.from\([^)]{0,200}base64/ ascii
        $py4 = /exec\(\s*["'][A-Za-z0-9+\/=]{200}/ ascii
        $js4 = /eval\(\s*["'`][A-Za-z0-9+\/=]{200}/ ascii
    condition:
        any of ($py*) or any of ($js*)
}
