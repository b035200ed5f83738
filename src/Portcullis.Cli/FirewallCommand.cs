using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Config;
using Portcullis.Core.Firewall;

namespace Portcullis.Cli;

/// <summary>
/// <c>portcullis firewall [--config FILE] [--format nftables|iptables|ip6tables] [--interface IF] [--nat-front ADDR
/// [--front] [--server ADDR]] [--tun NAME] [--allow PROTO/PORT]… [--nat66] [--explain]</c>: the ruleset the loaded swanctl.conf
/// needs, from the same file the daemon reads; no daemon needed.
/// </summary>
public static class FirewallCommand
{
    /// <summary>Runs the command; returns the exit status.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string configPath = DaemonCommands.DefaultConfigPath;
        var options = new FirewallOptions();
        var allow = new List<(byte, ushort)>();
        FirewallFormat format = FirewallFormat.Nftables;
        bool explain = false;
        for (int i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            string option = args[i];
            switch (option)
            {
                case "--config" or "-c": configPath = Next() ?? ""; break;
                case "--format":
                    switch (Next())
                    {
                        case "nftables" or "nft": format = FirewallFormat.Nftables; break;
                        case "iptables": format = FirewallFormat.Iptables; break;
                        case "ip6tables": format = FirewallFormat.Ip6tables; break;
                        default: return Usage(stderr, "--format takes nftables, iptables or ip6tables");
                    }
                    break;
                case "--interface" or "-i": options = options with { Interface = Next() ?? "" }; break;
                case "--tun": options = options with { TunName = Next() ?? "" }; break;
                case "--nat-front":
                    if (!IPAddress.TryParse(Next() ?? "", out IPAddress? front)) return Usage(stderr, "--nat-front takes the NAT device's public IP address");
                    options = options with { NatFront = front };
                    break;
                case "--server":
                    if (!IPAddress.TryParse(Next() ?? "", out IPAddress? server)) return Usage(stderr, "--server takes this server's IP address behind the NAT front");
                    options = options with { Server = server };
                    break;
                case "--front": options = options with { Front = true }; break;
                case "--nat66": options = options with { Nat66 = true }; break;
                case "--allow":
                    if (!TryParseService(Next() ?? "", out byte protocol, out ushort port)) return Usage(stderr, "--allow takes PROTO/PORT, e.g. tcp/22");
                    allow.Add((protocol, port));
                    break;
                case "--explain": explain = true; break;
                default: return Usage(stderr, $"unknown option '{option}'");
            }
        }
        if (configPath.Length == 0 || options.Interface is "" || options.TunName.Length == 0) return Usage(stderr, "an option is missing its value");
        if (options.Front && options.NatFront is null) return Usage(stderr, "--front needs --nat-front PUBLIC_ADDR");

        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(configPath);
        if (config is null)
        {
            foreach (ConfigError e in errors) stderr.WriteLine($"portcullis firewall: {e}");
            return 1;
        }
        options = options with { ConfigPath = configPath, Allow = allow };
        FirewallPlan plan = FirewallPlanner.Plan(config, options);
        if (plan.Errors.Count > 0)
        {
            foreach (string e in plan.Errors) stderr.WriteLine($"portcullis firewall: {e}");
            return 1;
        }
        if (explain)
        {
            stdout.Write(FirewallExplainer.Write(plan));
            return 0;
        }
        stdout.Write(format switch
        {
            FirewallFormat.Iptables => IptablesWriter.Write(plan, options, AddressFamily.InterNetwork),
            FirewallFormat.Ip6tables => IptablesWriter.Write(plan, options, AddressFamily.InterNetworkV6),
            _ => NftablesWriter.Write(plan, options),
        });
        return 0;
    }

    /// <summary><c>tcp/22</c>, <c>udp/53</c>, <c>sctp/…</c>.</summary>
    internal static bool TryParseService(string text, out byte protocol, out ushort port)
    {
        protocol = 0;
        port = 0;
        int slash = text.IndexOf('/');
        if (slash < 0 || !ushort.TryParse(text[(slash + 1)..], out port) || port == 0) return false;
        protocol = text[..slash].ToLowerInvariant() switch { "tcp" => 6, "udp" => 17, "sctp" => 132, _ => 0 };
        return protocol != 0;
    }

    private static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine($"portcullis firewall: {message}");
        return CommandLine.UsageError;
    }
}
