using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Config;
using Portcullis.Core.Doctor;
using Portcullis.Core.Pki;

namespace Portcullis.Host.Doctor;

/// <summary>
/// The host side of <c>portcullis doctor</c>: gathers the facts (the config and credentials, /proc, /sys, sysctls,
/// <c>nft -j list ruleset</c>, <c>iptables-legacy-save</c>, <c>ip route get</c>) and hands them to
/// <see cref="DoctorChecks"/>, which judges.
/// </summary>
public static class HostDoctor
{
    /// <summary>All checks, in the order they are printed.</summary>
    public static IReadOnlyList<DoctorCheck> Run(string configPath, int tunMtu, DateTimeOffset now)
    {
        var checks = new List<DoctorCheck>();
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(configPath);
        CredentialStore? store = null;
        if (config is not null)
        {
            var credentialErrors = new List<ConfigError>(DataPlaneSupport.Check(config));
            store = CredentialStore.Load(Path.GetDirectoryName(Path.GetFullPath(configPath))!, credentialErrors);
            credentialErrors.AddRange(CredentialCheck.Check(config, store));
            errors = credentialErrors;
        }
        if (errors.Count > 0)
            foreach (ConfigError e in errors) checks.Add(new DoctorCheck(DoctorStatus.Fail, "config", e.ToString(), "fix swanctl.conf; portcullis load-all refuses it too"));
        else checks.Add(new DoctorCheck(DoctorStatus.Ok, "config", $"{configPath}: {config!.Connections.Count} connection(s) load"));

        foreach (int port in (int[])[500, 4500]) checks.Add(DoctorChecks.UdpPort(port, Holders(port), Bindable(port)));
        checks.Add(Tun());
        if (config is null) return checks;

        (bool v4, bool v6) = DoctorChecks.ForwardingNeeded(config);
        checks.Add(DoctorChecks.Forwarding("IPv4", v4, Read("/proc/sys/net/ipv4/ip_forward"), "net.ipv4.ip_forward"));
        if (v6) checks.Add(DoctorChecks.Forwarding("IPv6", v6, Read("/proc/sys/net/ipv6/conf/all/forwarding"), "net.ipv6.conf.all.forwarding"));

        IReadOnlyList<NeededPacket> needed = DoctorChecks.NeededPackets(config);
        bool anyRuleset = false;
        if (Command("nft", "-j list ruleset") is { } json && FilterRulesetParser.ParseNftJson(json) is { } nft)
        {
            anyRuleset = true;
            checks.AddRange(DoctorChecks.Firewall(nft, needed));
        }
        // iptables-nft rules are in nft's listing already; legacy tables are separate.
        if (Command("iptables-legacy-save", "") is { Length: > 0 } legacy && legacy.Contains("*filter", StringComparison.Ordinal))
        {
            anyRuleset = true;
            checks.AddRange(DoctorChecks.Firewall(FilterRulesetParser.ParseIptablesSave(legacy, "iptables-legacy"), needed));
        }
        if (!anyRuleset) checks.Add(new DoctorCheck(DoctorStatus.Warn, "firewall", "neither nft nor iptables-legacy-save could be read", "run doctor as root with nftables installed"));

        foreach (ConnectionConfig c in config.Connections)
        {
            IPAddress towards = c.RemoteAddress ?? IPAddress.Parse("192.0.2.1");
            if (Route(towards) is not { } device) continue;
            if (!int.TryParse(Read($"/sys/class/net/{device}/mtu")?.Trim(), out int mtu)) continue;
            var proposals = c.Children.SelectMany(ch => ch.EspProposals).ToList();
            if (proposals.Count == 0) continue;
            checks.Add(DoctorChecks.Mtu(device, mtu, tunMtu, DoctorChecks.EspOverhead(proposals, towards.AddressFamily == AddressFamily.InterNetworkV6),
                c.RemoteAddress is null ? $"the default route ({c.Name})" : $"{towards} ({c.Name})"));
        }
        if (store is not null)
        {
            foreach (var cert in store.Certificates) checks.Add(DoctorChecks.Certificate(cert, now, "own"));
            foreach (var cert in store.CaCertificates) checks.Add(DoctorChecks.Certificate(cert, now, "CA"));
        }
        return checks;
    }

    private static string? Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    // Processes whose file descriptors point at a UDP socket bound to the port.
    private static List<PortHolder> Holders(int port)
    {
        var inodes = new HashSet<ulong>();
        foreach (string file in (string[])["/proc/net/udp", "/proc/net/udp6"])
            if (Read(file) is { } text)
                foreach (UdpSocketEntry e in ProcNetUdp.Parse(text).Where(e => e.Port == port)) inodes.Add(e.Inode);
        var holders = new List<PortHolder>();
        if (inodes.Count == 0) return holders;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                foreach (string fd in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
                {
                    string? target = new FileInfo(fd).LinkTarget;
                    if (target is null || !target.StartsWith("socket:[", StringComparison.Ordinal)) continue;
                    if (ulong.TryParse(target.AsSpan(8, target.Length - 9), out ulong inode) && inodes.Contains(inode))
                    {
                        string cmd = (Read(Path.Combine(dir, "cmdline")) ?? "").Replace('\0', ' ').Trim();
                        holders.Add(new PortHolder(pid, cmd.Length > 0 ? cmd : (Read(Path.Combine(dir, "comm")) ?? "?").Trim()));
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return holders;
    }

    // The daemon binds the port on 0.0.0.0 and on :: (IPv6-only): both must be free. A host without IPv6 has only the first.
    private static bool Bindable(int port)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Any, port));
        }
        catch (SocketException) { return false; }
        if (!Socket.OSSupportsIPv6) return true;
        try
        {
            using var s6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = false };
            s6.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressFamilyNotSupported) { return true; }
        catch (SocketException) { return false; }
    }

    private static DoctorCheck Tun()
    {
        try
        {
            using FileStream f = File.Open("/dev/net/tun", FileMode.Open, FileAccess.ReadWrite);
            return new DoctorCheck(DoctorStatus.Ok, "tun", "/dev/net/tun opens");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new DoctorCheck(DoctorStatus.Fail, "tun", $"/dev/net/tun: {e.Message}", "modprobe tun; in a container, pass /dev/net/tun and CAP_NET_ADMIN");
        }
    }

    // The outgoing interface towards an address (`ip route get`).
    private static string? Route(IPAddress to)
    {
        string? output = Command("ip", $"route get {to}");
        if (output is null) return null;
        string[] words = output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        int dev = Array.IndexOf(words, "dev");
        return dev >= 0 && dev + 1 < words.Length ? words[dev + 1] : null;
    }

    private static string? Command(string file, string arguments)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (p is null) return null;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit(10_000);
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
