using System.Diagnostics;
using System.Net;

namespace Portcullis.Host.Tun;

/// <summary>The outcome of an <see cref="IpCommand"/> call: success, or the exit code and what the command printed.</summary>
public readonly record struct IpResult(bool Ok, int ExitCode, string Error)
{
    public static readonly IpResult Success = new(true, 0, "");

    public static IpResult Failure(int exitCode, string error) => new(false, exitCode, error);

    public override string ToString() => Ok ? "ok" : $"failed (exit {ExitCode}): {Error}";
}

/// <summary>
/// Configures interfaces and routes by running iproute2's <c>ip</c> with an argument list (never a shell string).
/// Failures come back as <see cref="IpResult"/> values, not exceptions.
/// </summary>
public static class IpCommand
{
    /// <summary>The <c>ip</c> binary; <c>ip</c> on PATH by default.</summary>
    public static string IpPath { get; set; } = File.Exists("/usr/sbin/ip") ? "/usr/sbin/ip" : File.Exists("/sbin/ip") ? "/sbin/ip" : "ip";

    /// <summary>Runs <c>ip</c> with <paramref name="arguments"/> and waits for it (at most <paramref name="timeout"/>, 10 s by default).</summary>
    public static IpResult Run(IReadOnlyList<string> arguments, TimeSpan? timeout = null) => Run(arguments, out _, timeout);

    /// <summary>Runs <c>ip</c> as <see cref="Run(IReadOnlyList{string}, TimeSpan?)"/> does and returns what it printed on standard output.</summary>
    public static IpResult Run(IReadOnlyList<string> arguments, out string output, TimeSpan? timeout = null)
    {
        output = "";
        var start = new ProcessStartInfo(IpPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception e)
        {
            return IpResult.Failure(-1, $"cannot run {IpPath}: {e.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(10)))
            {
                try { process.Kill(); } catch (InvalidOperationException) { }
                return IpResult.Failure(-1, $"{IpPath} {string.Join(' ', arguments)}: timed out");
            }
            process.WaitForExit();
            output = stdout.Result;
            if (process.ExitCode == 0) return IpResult.Success;
            string message = stderr.Result.Trim();
            if (message.Length == 0) message = stdout.Result.Trim();
            return IpResult.Failure(process.ExitCode, $"ip {string.Join(' ', arguments)}: {message}");
        }
    }

    /// <summary><c>ip link set dev DEV [mtu MTU] up|down</c>.</summary>
    public static IpResult LinkSet(string device, bool up, int? mtu = null)
    {
        var args = new List<string> { "link", "set", "dev", device };
        if (mtu is int m) { args.Add("mtu"); args.Add(m.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        args.Add(up ? "up" : "down");
        return Run(args);
    }

    /// <summary><c>ip address replace ADDR/PREFIX dev DEV</c> (idempotent).</summary>
    public static IpResult AddressReplace(string device, IPAddress address, int prefixLength) =>
        Run(["address", "replace", $"{address}/{prefixLength}", "dev", device]);

    /// <summary><c>ip address del ADDR/PREFIX dev DEV</c>.</summary>
    public static IpResult AddressDelete(string device, IPAddress address, int prefixLength) =>
        Run(["address", "del", $"{address}/{prefixLength}", "dev", device]);

    /// <summary><c>ip route replace PREFIX dev DEV [src SRC] [table TABLE]</c>; <paramref name="prefix"/> is e.g. <c>198.18.1.0/24</c>.</summary>
    public static IpResult RouteReplace(string prefix, string device, IPAddress? source = null, int? table = null)
    {
        var args = new List<string> { "route", "replace", prefix, "dev", device };
        if (source is not null) { args.Add("src"); args.Add(source.ToString()); }
        if (table is int t) { args.Add("table"); args.Add(t.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        return Run(args);
    }

    /// <summary>
    /// The MTU towards <paramref name="destination"/>: the path MTU the kernel learnt (an ICMP error cached on the
    /// route) or the route's own <c>mtu</c>, as <c>ip route get</c> shows them, else the outgoing device's MTU; null when
    /// none is known.
    /// </summary>
    public static int? PathMtu(IPAddress destination) => PathMtu(destination, 0);

    /// <summary>
    /// As <see cref="PathMtu(IPAddress)"/>, for a packet with fwmark <paramref name="mark"/> (0: none): the daemon's own
    /// ESP carries its mark, so the path it takes to a transport-mode peer is the main table's, not the TUN device.
    /// </summary>
    public static int? PathMtu(IPAddress destination, uint mark)
    {
        string[] args = mark == 0 ? ["route", "get", destination.ToString()]
            : ["route", "get", destination.ToString(), "mark", $"0x{mark:x}"];
        if (!Run(args, out string output).Ok) return null;
        return ParsePathMtu(output, device =>
        {
            if (device.Contains('/') || device is "." or "..") return null;
            try { return int.TryParse(File.ReadAllText($"/sys/class/net/{device}/mtu").Trim(), out int mtu) ? mtu : null; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        });
    }

    /// <summary>The MTU in <c>ip route get</c> output (<c>mtu N</c>), else <paramref name="deviceMtu"/> of its <c>dev</c>.</summary>
    public static int? ParsePathMtu(string output, Func<string, int?> deviceMtu)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(deviceMtu);
        string[] words = output.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        string? device = null;
        for (int i = 0; i + 1 < words.Length; i++)
        {
            // "mtu lock N" when the route's MTU is locked.
            if (words[i] == "mtu")
            {
                string value = words[i + 1] == "lock" && i + 2 < words.Length ? words[i + 2] : words[i + 1];
                if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int mtu) && mtu > 0) return mtu;
            }
            if (words[i] == "dev") device ??= words[i + 1];
        }
        return device is null ? null : deviceMtu(device);
    }

    /// <summary><c>ip route del PREFIX [dev DEV] [table TABLE]</c>.</summary>
    public static IpResult RouteDelete(string prefix, string? device = null, int? table = null)
    {
        var args = new List<string> { "route", "del", prefix };
        if (device is not null) { args.Add("dev"); args.Add(device); }
        if (table is int t) { args.Add("table"); args.Add(t.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        return Run(args);
    }

    /// <summary>
    /// Turns IPv6 off on <paramref name="device"/> (<c>/proc/sys/net/ipv6/conf/DEV/disable_ipv6</c>), so the kernel
    /// sends no router solicitations or DAD through it. Applies to the calling thread's network namespace.
    /// Succeeds when the kernel has no IPv6 at all.
    /// </summary>
    public static IpResult DisableIpv6(string device)
    {
        if (device.Contains('/') || device is "." or "..") return IpResult.Failure(-1, $"invalid interface name '{device}'");
        if (!Directory.Exists("/proc/sys/net/ipv6")) return IpResult.Success;
        string path = $"/proc/sys/net/ipv6/conf/{device}/disable_ipv6";
        try
        {
            File.WriteAllText(path, "1\n");
            return IpResult.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return IpResult.Failure(-1, $"{path}: {e.Message}");
        }
    }

    /// <summary>
    /// Keeps IPv6 on <paramref name="device"/> (so IPv6 can be routed into it) but quiet: no link-local address
    /// (<c>addr_gen_mode</c> 1, set before the device goes up), hence no DAD, router solicitation or MLD report from
    /// the kernel, and no router advertisements accepted. Succeeds when the kernel has no IPv6 at all.
    /// </summary>
    public static IpResult QuietIpv6(string device)
    {
        if (device.Contains('/') || device is "." or "..") return IpResult.Failure(-1, $"invalid interface name '{device}'");
        if (!Directory.Exists("/proc/sys/net/ipv6")) return IpResult.Success;
        foreach ((string key, string value) in new[] { ("disable_ipv6", "0"), ("addr_gen_mode", "1"), ("accept_ra", "0"), ("autoconf", "0") })
        {
            string path = $"/proc/sys/net/ipv6/conf/{device}/{key}";
            try
            {
                File.WriteAllText(path, value + "\n");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return IpResult.Failure(-1, $"{path}: {e.Message}");
            }
        }
        return IpResult.Success;
    }

    /// <summary>
    /// The usual set-up of a fresh TUN device (still down): IPv6 quiet (<see cref="QuietIpv6"/>), MTU, up, and
    /// optionally an address. Stops at the first failure and returns it.
    /// </summary>
    public static IpResult ConfigureTun(string device, int mtu, IPAddress? address = null, int prefixLength = 32)
    {
        var result = QuietIpv6(device);
        if (!result.Ok) return result;
        result = LinkSet(device, up: true, mtu: mtu);
        if (!result.Ok) return result;
        return address is null ? result : AddressReplace(device, address, prefixLength);
    }
}
