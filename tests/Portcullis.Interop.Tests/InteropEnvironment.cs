using System.Diagnostics;
using Xunit.Abstractions;

namespace Portcullis.Interop.Tests;

/// <summary>
/// What the interop cases need: root (namespaces, TUN), strongSwan's charon with kernel-libipsec, tshark, nft and a
/// Release build of portcullis. Outside CI a missing piece skips the tests with the reason; with CI=true nothing is
/// skipped, so a missing piece fails them.
/// </summary>
internal static class InteropEnvironment
{
    public static bool IsCi => Environment.GetEnvironmentVariable("CI") == "true";

    public static string RepositoryRoot { get; } = FindRoot();

    public static string PortcullisBinary => Path.Combine(RepositoryRoot, "src/Portcullis.Cli/bin/Release/net10.0/portcullis");

    public static string? MissingReason
    {
        get
        {
            if (!OperatingSystem.IsLinux()) return "interop tests need Linux";
            if (Environment.UserName != "root" && geteuid() != 0) return "interop tests need root (network namespaces, TUN)";
            if (!File.Exists("/usr/lib/ipsec/charon")) return "strongSwan's charon is not installed (scripts/test-deps.sh installs it as root)";
            if (!File.Exists("/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so")) return "strongSwan's kernel-libipsec plugin is missing (libcharon-extra-plugins)";
            if (!File.Exists("/usr/bin/tshark")) return "tshark is not installed";
            if (!File.Exists("/usr/sbin/nft")) return "nftables is not installed";
            if (!File.Exists(PortcullisBinary)) return $"{PortcullisBinary} is not built (dotnet build -c Release)";
            return null;
        }
    }

    /// <summary>
    /// What the kernel-peer cases need beyond <see cref="MissingReason"/>: QEMU to run the Debian guest and the tools
    /// tests/interop/guest/build.sh builds it with (scripts/test-deps.sh installs them as root).
    /// </summary>
    public static string? GuestMissingReason
    {
        get
        {
            if (MissingReason is { } missing) return missing;
            foreach (string tool in (string[])["/usr/bin/qemu-system-x86_64", "/usr/sbin/debootstrap", "/usr/sbin/mkfs.ext4", "/usr/bin/cpio"])
                if (!File.Exists(tool)) return $"{tool} is not installed (the kernel-peer guest needs qemu-system-x86, debootstrap, e2fsprogs and cpio)";
            if (!File.Exists("/bin/busybox")) return "busybox-static is not installed (the kernel-peer guest's initrd)";
            return null;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Portcullis.slnx"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("Portcullis.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs one case of tests/interop/run-case.sh; fails the test with the script's output unless it passes.</summary>
    public static void RunCase(ITestOutputHelper output, params string[] arguments) => RunCase(output, TimeSpan.FromMinutes(3), arguments);

    /// <summary>
    /// The cases that load the machine (24 MB through the tunnel, 20 charons, a flood of spoofed requests, hostile
    /// traffic, a self-contained publish and dpkg, two QEMU guests emulated without KVM): each runs alone, while the
    /// others run three at a time, one from each collection, as most of their time is spent waiting on timers,
    /// lifetimes and daemons starting. A single guest (the <c>kernel</c> cases) takes a core while it boots (10–15 s)
    /// and about a tenth of one after, so it runs beside the others; run alone, the kernel cases added 6 minutes to CI.
    /// </summary>
    private static readonly HashSet<string> s_heavyCases = ["bulk", "clients", "flood", "hostile", "package", "kernel-l2tp"];

    /// <summary>Held shared by a case that runs beside another, exclusively by a heavy one.</summary>
    private static readonly ReaderWriterLockSlim s_machine = new();

    /// <summary>Runs one case with its own time limit (the package case publishes a self-contained build first).</summary>
    public static void RunCase(ITestOutputHelper output, TimeSpan limit, params string[] arguments)
    {
        if (MissingReason is { } missing) Assert.Fail($"interop prerequisites missing under CI: {missing}");
        if (arguments[0].StartsWith("kernel", StringComparison.Ordinal) && GuestMissingReason is { } guest)
            Assert.Fail($"kernel-peer prerequisites missing under CI: {guest}");
        bool heavy = s_heavyCases.Contains(arguments[0]);
        if (heavy) s_machine.EnterWriteLock(); else s_machine.EnterReadLock();
        try
        {
            Run(output, limit, arguments);
        }
        finally
        {
            if (heavy) s_machine.ExitWriteLock(); else s_machine.ExitReadLock();
        }
    }

    private static void Run(ITestOutputHelper output, TimeSpan limit, string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot, "tests/interop/run-case.sh"));
        foreach (string a in arguments) start.ArgumentList.Add(a);
        start.Environment["PORTCULLIS_BIN"] = PortcullisBinary;
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"run-case.sh {string.Join(' ', arguments)} timed out\n{stdout.Result}\n{stderr.Result}");
        }
        string text = stdout.Result + stderr.Result;
        output.WriteLine(text);
        Assert.True(process.ExitCode == 0, $"run-case.sh {string.Join(' ', arguments)} failed (exit {process.ExitCode}):\n{text}");
    }
}

/// <summary>A fact that needs the interop environment: skipped with the reason outside CI, failing under CI=true.</summary>
public sealed class InteropFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when the environment is missing and CI is not set.</summary>
    public InteropFactAttribute()
    {
        if (InteropEnvironment.MissingReason is { } reason && !InteropEnvironment.IsCi) Skip = $"{reason}; skipped (with CI=true this would fail)";
    }
}

/// <summary>A theory that needs the interop environment (see <see cref="InteropFactAttribute"/>).</summary>
public sealed class InteropTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets Skip when the environment is missing and CI is not set.</summary>
    public InteropTheoryAttribute()
    {
        if (InteropEnvironment.MissingReason is { } reason && !InteropEnvironment.IsCi) Skip = $"{reason}; skipped (with CI=true this would fail)";
    }
}

/// <summary>A theory that needs the kernel-peer guest (see <see cref="InteropEnvironment.GuestMissingReason"/>).</summary>
public sealed class KernelPeerTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets Skip when the environment is missing and CI is not set.</summary>
    public KernelPeerTheoryAttribute()
    {
        if (InteropEnvironment.GuestMissingReason is { } reason && !InteropEnvironment.IsCi) Skip = $"{reason}; skipped (with CI=true this would fail)";
    }
}

/// <summary>A fact that needs the kernel-peer guest (see <see cref="InteropEnvironment.GuestMissingReason"/>).</summary>
public sealed class KernelPeerFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when the environment is missing and CI is not set.</summary>
    public KernelPeerFactAttribute()
    {
        if (InteropEnvironment.GuestMissingReason is { } reason && !InteropEnvironment.IsCi) Skip = $"{reason}; skipped (with CI=true this would fail)";
    }
}
