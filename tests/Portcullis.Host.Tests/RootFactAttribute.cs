using Portcullis.Host.Native;

namespace Portcullis.Host.Tests;

/// <summary>
/// What a test needing root networking lacks here, if anything: root, <c>/dev/net/tun</c>, the <c>ip</c> command.
/// </summary>
public static class RootEnvironment
{
    /// <summary>Whether CI=true is set: then missing privileges are a failure, not a skip.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Null when root tests can run; otherwise why not.</summary>
    public static string? MissingReason { get; } = Probe();

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux";
        if (Libc.GetEUid() != 0) return "needs root (network namespaces and TUN devices)";
        if (!File.Exists("/dev/net/tun")) return "needs /dev/net/tun";
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip")) return "needs iproute2's ip command";
        return null;
    }

    /// <summary>Call first in a root test: fails it (with the reason) when the environment is missing something.</summary>
    public static void Require()
    {
        if (MissingReason is { } reason) throw new InvalidOperationException($"root test cannot run: {reason}{(IsCi ? " (CI=true, so this is a failure rather than a skip)" : "")}");
    }
}

/// <summary>
/// A fact that needs root networking (TUN, network namespaces). Skipped with the reason when the environment lacks
/// it, except with CI=true, where it runs and fails (call <see cref="RootEnvironment.Require"/> first in the test).
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (RootEnvironment.MissingReason is { } reason && !RootEnvironment.IsCi)
            Skip = $"{reason}; skipped (with CI=true this would fail)";
    }
}
