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

    /// <summary>Runs one case with its own time limit (the package case publishes a self-contained build first).</summary>
    public static void RunCase(ITestOutputHelper output, TimeSpan limit, params string[] arguments)
    {
        if (MissingReason is { } missing) Assert.Fail($"interop prerequisites missing under CI: {missing}");
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
