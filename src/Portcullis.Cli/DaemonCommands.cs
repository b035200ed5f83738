using Microsoft.Extensions.Logging;
using Portcullis.Host.Control;
using Portcullis.Host.Daemon;

namespace Portcullis.Cli;

/// <summary>
/// <c>portcullis daemon</c> and the commands that talk to it over the control socket (<c>load-all</c>,
/// <c>initiate</c>, <c>terminate</c>, <c>list-sas</c>, <c>list-conns</c>, <c>list-pools</c>).
/// </summary>
public static class DaemonCommands
{
    /// <summary>Environment variable naming the control socket (for several daemons on one machine, as in tests).</summary>
    public const string SocketVariable = "PORTCULLIS_SOCKET";

    /// <summary>The swanctl.conf the daemon, <c>firewall</c> and <c>doctor</c> read unless <c>--config</c> names another.</summary>
    public static string DefaultConfigPath => new DaemonOptions().ConfigPath;

    /// <summary><c>portcullis daemon [--config FILE] [--settings FILE] [--socket PATH] [--tun NAME] [--debug] [--keylog FILE] [--vici-socket PATH] [--metrics ADDR:PORT] [--log SUBSYS=LEVEL,…] [--no-offload] [--fwmark MARK]</c>.</summary>
    public static int RunDaemon(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var options = new DaemonOptions { SocketPath = Environment.GetEnvironmentVariable(SocketVariable) ?? ControlSocket.DefaultPath };
        var levels = new Dictionary<string, LogLevel>();
        bool defaultFromCommandLine = false;
        for (int i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--config" or "-c": options = options with { ConfigPath = Next() ?? "" }; break;
                case "--settings": options = options with { SettingsPath = Next() ?? "" }; break;
                case "--socket": options = options with { SocketPath = Next() ?? "" }; break;
                case "--tun": options = options with { TunName = Next() ?? "" }; break;
                case "--debug": options = options with { LogLevel = LogLevel.Debug }; defaultFromCommandLine = true; break;
                case "--log":
                {
                    string text = Next() ?? "";
                    if (!SubsystemLevels.TryParse(text, out Dictionary<string, LogLevel> parsed, out LogLevel? fallback, out string? error))
                    {
                        stderr.WriteLine($"portcullis daemon: --log {text}: {error}");
                        return CommandLine.UsageError;
                    }
                    foreach ((string k, LogLevel v) in parsed) levels[k] = v;
                    if (fallback is { } f) { options = options with { LogLevel = f }; defaultFromCommandLine = true; }
                    break;
                }
                case "--keylog": options = options with { KeyLogPath = Next() ?? "" }; break;
                case "--no-offload": options = options with { Offload = false }; break;
                case "--fwmark":
                {
                    string text = Next() ?? "";
                    bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
                    if (!uint.TryParse(hex ? text[2..] : text, hex ? System.Globalization.NumberStyles.AllowHexSpecifier : System.Globalization.NumberStyles.None,
                        System.Globalization.CultureInfo.InvariantCulture, out uint mark))
                    {
                        stderr.WriteLine($"portcullis daemon: --fwmark takes a mark (e.g. 0x1000; 0 turns transport-mode routing off), not '{text}'");
                        return CommandLine.UsageError;
                    }
                    options = options with { FwMark = mark };
                    break;
                }
                case "--vici-socket": options = options with { ViciSocketPath = Next() ?? "" }; break;
                case "--metrics":
                {
                    string text = Next() ?? "";
                    if (!MetricsEndpoint.TryParseEndpoint(text, out System.Net.IPEndPoint? at))
                    {
                        stderr.WriteLine($"portcullis daemon: --metrics takes ADDRESS:PORT (e.g. 127.0.0.1:9814), not '{text}'");
                        return CommandLine.UsageError;
                    }
                    options = options with { MetricsEndpoint = at };
                    break;
                }
                default:
                    stderr.WriteLine($"portcullis daemon: unknown option '{args[i]}'");
                    return CommandLine.UsageError;
            }
        }
        if (options.ConfigPath.Length == 0 || options.SocketPath.Length == 0 || options.TunName.Length == 0 || options.KeyLogPath is "" || options.SettingsPath is "" || options.ViciSocketPath is "")
        {
            stderr.WriteLine("portcullis daemon: an option is missing its value");
            return CommandLine.UsageError;
        }
        // Under systemd, journald adds the time; on a terminal, the lines carry it.
        bool timestamps = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is null;
        var provider = new LineLoggerProvider(stdout, options.LogLevel, timestamps, levels);
        using var loggers = new LineLoggerFactory(provider);
        // The settings file's filelog/syslog levels apply where the command line set none: --log and --debug win.
        LogLevel commandLineDefault = options.LogLevel;
        options = options with
        {
            ApplyLogLevels = numbers =>
            {
                (Dictionary<string, LogLevel> fromFile, LogLevel? fileDefault) = SubsystemLevels.FromNumbers(numbers);
                foreach ((string category, LogLevel level) in levels) fromFile[category] = level;
                provider.SetLevels(fromFile, defaultFromCommandLine ? commandLineDefault : fileDefault ?? commandLineDefault);
            },
        };
        return new PortcullisDaemon(options, loggers).RunAsync(CommandLine.Version).GetAwaiter().GetResult();
    }

    /// <summary>A command sent to the running daemon.</summary>
    public static int RunControl(string command, string[] args, TextWriter stdout, TextWriter stderr)
    {
        string socket = Environment.GetEnvironmentVariable(SocketVariable) ?? ControlSocket.DefaultPath;
        var arguments = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--socket": socket = Next() ?? socket; break;
                case "--child" when command == "initiate": arguments["child"] = Next() ?? ""; break;
                case "--ike" when command == "terminate": arguments["ike"] = Next() ?? ""; break;
                case "--leases" when command == "list-pools": arguments["leases"] = "yes"; break;
                case "--conn" when command == "explain": arguments["conn"] = Next() ?? ""; break;
                case "--peer" or "--user" or "--password" or "--routes" when command == "l2tp-connect": arguments[args[i][2..]] = Next() ?? ""; break;
                case "--ipv6" when command == "l2tp-connect": arguments["ipv6"] = "yes"; break;
                default:
                    stderr.WriteLine($"portcullis {command}: unknown option '{args[i]}'");
                    return CommandLine.UsageError;
            }
        }
        if (command == "initiate" && string.IsNullOrEmpty(arguments.GetValueOrDefault("child")))
        {
            stderr.WriteLine("portcullis initiate: --child NAME is required");
            return CommandLine.UsageError;
        }
        if (command == "terminate" && string.IsNullOrEmpty(arguments.GetValueOrDefault("ike")))
        {
            stderr.WriteLine("portcullis terminate: --ike NAME is required");
            return CommandLine.UsageError;
        }
        try
        {
            ControlResponse response = ControlClient.SendAsync(socket, new ControlRequest { Command = command, Args = arguments }).GetAwaiter().GetResult();
            if (response.Output is { Length: > 0 } output) stdout.Write(output);
            if (response.Error is { Length: > 0 } error) stderr.WriteLine($"portcullis {command}: {error}");
            return response.ExitCode;
        }
        catch (ControlClientException e)
        {
            stderr.WriteLine($"portcullis {command}: {e.Message}");
            return 1;
        }
    }
}
