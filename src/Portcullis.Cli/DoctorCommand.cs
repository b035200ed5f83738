using Portcullis.Core.Doctor;
using Portcullis.Host.Doctor;

namespace Portcullis.Cli;

/// <summary>
/// <c>portcullis doctor [--config FILE] [--tun-mtu N]</c>: this host checked against the configuration,
/// one OK/WARN/FAIL line per check with the reason and a fix; exit status 1 when anything FAILs.
/// </summary>
public static class DoctorCommand
{
    /// <summary>Runs the command; returns the exit status.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string configPath = DaemonCommands.DefaultConfigPath;
        int tunMtu = 1400;
        for (int i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--config" or "-c": configPath = Next() ?? ""; break;
                case "--tun-mtu":
                    if (!int.TryParse(Next(), out tunMtu) || tunMtu < 576) { stderr.WriteLine("portcullis doctor: --tun-mtu takes an MTU"); return CommandLine.UsageError; }
                    break;
                default:
                    stderr.WriteLine($"portcullis doctor: unknown option '{args[i]}'");
                    return CommandLine.UsageError;
            }
        }
        if (configPath.Length == 0)
        {
            stderr.WriteLine("portcullis doctor: an option is missing its value");
            return CommandLine.UsageError;
        }
        IReadOnlyList<DoctorCheck> checks = HostDoctor.Run(configPath, tunMtu, DateTimeOffset.UtcNow);
        foreach (DoctorCheck c in checks) stdout.WriteLine(c);
        int fails = checks.Count(c => c.Status == DoctorStatus.Fail), warns = checks.Count(c => c.Status == DoctorStatus.Warn);
        stdout.WriteLine($"{checks.Count} checks: {checks.Count - fails - warns} OK, {warns} WARN, {fails} FAIL");
        return fails > 0 ? 1 : 0;
    }
}
