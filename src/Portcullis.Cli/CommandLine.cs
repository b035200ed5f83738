using System.Reflection;

namespace Portcullis.Cli;

/// <summary>
/// The `portcullis` command: a verb and its options, parsed by hand so that errors read the way Linux tools'
/// do (usage on stderr, exit status 2) and nothing is printed that an admin's script would not expect.
/// </summary>
public static class CommandLine
{
    /// <summary>Exit status for a usage error, as getopt-based tools use.</summary>
    public const int UsageError = 2;

    private const string Usage = """
        Usage: portcullis [--version] [--help] COMMAND [OPTIONS]

        Portcullis is an IPsec VPN (IKEv2, IKEv1, ESP, NAT traversal, L2TP/IPsec) configured in swanctl.conf syntax.

        Commands:
          algorithms [--all|--default|--legacy]   List every transform with its IANA ID and strongSwan keyword;
                                                  legacy ones are refused unless a configuration names them.
          compat-profiles [NAME...]               The proposals each built-in client sends by default, in
                                                  strongSwan's notation (what compat = NAME accepts).
          daemon [--config FILE] [--settings FILE] [--socket PATH] [--tun NAME] [--debug] [--keylog FILE]
                 [--vici-socket PATH] [--metrics ADDR:PORT] [--log SUBSYS=LEVEL,...] [--no-offload] [--fwmark MARK]
                                                  Run the IKE daemon in the foreground (default config
                                                  /etc/portcullis/swanctl.conf); SIGTERM deletes the SAs and exits,
                                                  SIGHUP reloads the configuration. --settings reads the charon
                                                  section of a strongswan.conf (default
                                                  /etc/portcullis/strongswan.conf, if present). --keylog appends
                                                  IKE SA keys to FILE for decrypting captures (debugging only).
                                                  The control socket also speaks strongSwan's VICI, so Debian's
                                                  swanctl COMMAND --uri unix://SOCKET drives it; --vici-socket adds a
                                                  second socket (e.g. /var/run/charon.vici, swanctl's default).
                                                  --metrics serves Prometheus metrics at http://ADDR:PORT/metrics.
                                                  --log sets levels per subsystem as strongSwan does (ike=2,esp=0,
                                                  default=1; -1 to 4 or none/error/warning/info/debug/trace;
                                                  subsystems ike, esp, daemon, l2tp, ppp or mgr, chd, knl, cfg, net).
                                                  --no-offload: one system call per packet in the data plane (no TUN
                                                  TSO, UDP GSO or GRO), for comparison.
                                                  --fwmark: the mark bits on the daemon's IKE and ESP sockets that
                                                  keep them out of transport mode's routing table (default 0x1000).
          firewall [--config FILE] [--format nftables|iptables|ip6tables] [--interface IF] [--allow PROTO/PORT]...
                   [--nat-front PUBLIC_ADDR [--front] [--server ADDR]] [--tun NAME] [--nat66] [--explain]
                                                  Print the firewall ruleset the configuration needs (nft -f or
                                                  iptables-restore input): IKE on UDP 500 and 4500, ESP (protocol 50)
                                                  only where no NAT is in the way, AH (51) only when configured, UDP
                                                  1701 dropped from outside (L2TP is only accepted inside IPsec), the
                                                  tunnels' traffic on the TUN device, masquerade for IPv4 pools (IPv6
                                                  pools are routed; --nat66 masquerades them too); each rule
                                                  with a comment. Input and forward drop everything else: --allow
                                                  tcp/22 keeps SSH. --interface: where pool traffic leaves.
                                                  --nat-front: this server is behind a NAT at PUBLIC_ADDR (ESP in UDP);
                                                  --front prints that NAT device's DNAT rules. --explain: the reasons,
                                                  per connection, in prose.
          probe HOST... [--port 500|4500] [--ikev1] [--proposal STR] [--timeout SECONDS] [--tries N] [--rate N]
                                                  Ask an IKE responder what it accepts, like ike-scan: an IKE_SA_INIT
                                                  (or an IKEv1 Main Mode first message), never authentication. Reports
                                                  whether it answered, the chosen proposal or its notify, NAT between,
                                                  its vendor IDs; ICMP port unreachable is reported as closed.
          doctor [--config FILE] [--tun-mtu N]    Check this host against the configuration: config, UDP 500/4500,
                                                  /dev/net/tun, IP forwarding, firewall rules that would block a
                                                  connection, MTU, certificate validity. OK/WARN/FAIL per check; exit
                                                  status 1 on any FAIL.
          load-all                                Reload the daemon's configuration; a bad file changes nothing.
          initiate --child NAME                   Bring up a CHILD SA (and its IKE SA) and wait for it.
          terminate --ike NAME                    Delete the IKE SAs of a connection.
          list-sas                                Show IKE and CHILD SAs: peers, SPIs, algorithms, NAT, traffic.
          list-conns                              Show the loaded connections.
          explain [--conn NAME]                   Why recent negotiations failed, in plain words: which side refused,
                                                  both proposal lists with the nearest match and the transform type
                                                  without a match, identities, a peer that stopped answering.
          list-pools [--leases]                   Show the virtual IP pools (and each lease: address, online/offline, identity).
          l2tp-connect --peer ADDR --user NAME --password SECRET [--routes PREFIX,…] [--ipv6]
                                                  L2TP/PPP as a client over the transport-mode SA with ADDR (a test tool);
                                                  --ipv6: IPv6CP too, the address from the server's Router Advertisement.
          version                                 Same as --version.
          help                                    Same as --help.

        Options:
          -h, --help       Show this help and exit.
          -V, --version    Show the version and exit.
          --socket PATH    Control socket (default /run/portcullis/portcullis.sock, or $PORTCULLIS_SOCKET).

        Exit status: 0 on success, 1 on failure, 2 on a usage error.
        """;

    /// <summary>Runs the command line; returns the process exit status.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0)
        {
            stderr.WriteLine(Usage);
            return UsageError;
        }
        string command = args[0];
        string[] rest = args[1..];
        switch (command)
        {
            case "-h" or "--help" or "help":
                stdout.WriteLine(Usage);
                return 0;
            case "-V" or "--version" or "version":
                stdout.WriteLine($"portcullis {Version}");
                return 0;
            case "algorithms":
                return AlgorithmsCommand.Run(rest, stdout, stderr);
            case "compat-profiles":
                return CompatProfilesCommand.Run(rest, stdout, stderr);
            case "daemon":
                return DaemonCommands.RunDaemon(rest, stdout, stderr);
            case "firewall":
                return FirewallCommand.Run(rest, stdout, stderr);
            case "probe":
                return ProbeCommand.Run(rest, stdout, stderr);
            case "doctor":
                return DoctorCommand.Run(rest, stdout, stderr);
            case "load-all" or "initiate" or "terminate" or "list-sas" or "list-conns" or "list-pools" or "l2tp-connect" or "explain":
                return DaemonCommands.RunControl(command, rest, stdout, stderr);
            default:
                stderr.WriteLine($"portcullis: unknown command '{command}'");
                stderr.WriteLine("Try 'portcullis --help' for more information.");
                return UsageError;
        }
    }

    /// <summary>The informational version (semantic version), without build metadata.</summary>
    public static string Version
    {
        get
        {
            string? v = typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            return v is null ? "0.0.0" : v.Split('+')[0];
        }
    }
}
