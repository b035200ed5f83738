using System.Globalization;
using Portcullis.Core.Ikev2;

namespace Portcullis.Core.Config;

/// <summary>
/// The daemon's settings from the <c>charon { … }</c> section of a strongswan.conf-style file. Each property is null
/// when the file does not set it, so <see cref="ApplyTo"/> keeps the engine's own default.
/// </summary>
public sealed record DaemonSettings
{
    /// <summary><c>charon.retransmit_tries</c>: retransmissions before giving up.</summary>
    public int? RetransmitTries { get; init; }

    /// <summary><c>charon.retransmit_timeout</c>: the first retransmission delay (seconds, fractions allowed).</summary>
    public TimeSpan? RetransmitTimeout { get; init; }

    /// <summary><c>charon.retransmit_base</c>: the backoff base.</summary>
    public double? RetransmitBase { get; init; }

    /// <summary><c>charon.retransmit_limit</c>: cap on one retransmission delay (0: none).</summary>
    public TimeSpan? RetransmitLimit { get; init; }

    /// <summary><c>charon.half_open_timeout</c>: how long a responder's IKE SA may stay unauthenticated.</summary>
    public TimeSpan? HalfOpenTimeout { get; init; }

    /// <summary><c>charon.fragment_size</c>: largest IP datagram an IKE fragment may fill (0: 576 for IPv4, 1280 for IPv6).</summary>
    public int? FragmentSize { get; init; }

    /// <summary>
    /// Log levels by strongSwan subsystem (<c>ike</c>, <c>cfg</c>, <c>knl</c>…, and <c>default</c>), -1 to 4, from the
    /// <c>charon.filelog.*</c> and <c>charon.syslog.*</c> loggers; where several loggers set one, the most verbose
    /// wins (Portcullis has one log, standard output). Null when the file sets none.
    /// </summary>
    public IReadOnlyDictionary<string, int>? LogLevels { get; init; }

    /// <summary><c>charon.dos_protection</c>: cookies and per-address blocking for half-open IKE SAs.</summary>
    public bool? DosProtection { get; init; }

    /// <summary><c>charon.cookie_threshold</c>: half-open IKE SAs from which IKE_SA_INIT needs a COOKIE.</summary>
    public int? CookieThreshold { get; init; }

    /// <summary><c>charon.block_threshold</c>: half-open IKE SAs one address may have.</summary>
    public int? BlockThreshold { get; init; }

    /// <summary><c>charon.init_limit_half_open</c>: half-open IKE SAs beyond which IKE_SA_INIT is dropped (0: none).</summary>
    public int? InitLimitHalfOpen { get; init; }

    /// <summary>
    /// <c>charon.routing_table</c>: the table the host routes of transport-mode peers go into (strongSwan's default is
    /// 220, and so is ours); 0: none, transport mode then carries only the daemon's own L2TP.
    /// </summary>
    public int? RoutingTable { get; init; }

    /// <summary><c>charon.routing_table_prio</c>: the priority of the policy rules that look that table up (default 220).</summary>
    public int? RoutingTablePriority { get; init; }

    /// <summary>The engine options with every setting the file made applied.</summary>
    public IkeEngineOptions ApplyTo(IkeEngineOptions options) => options with
    {
        RetransmitTries = RetransmitTries ?? options.RetransmitTries,
        RetransmitTimeout = RetransmitTimeout ?? options.RetransmitTimeout,
        RetransmitBase = RetransmitBase ?? options.RetransmitBase,
        RetransmitLimit = RetransmitLimit ?? options.RetransmitLimit,
        HalfOpenTimeout = HalfOpenTimeout ?? options.HalfOpenTimeout,
        FragmentSize = FragmentSize ?? options.FragmentSize,
        DosProtection = DosProtection ?? options.DosProtection,
        CookieThreshold = CookieThreshold ?? options.CookieThreshold,
        BlockThreshold = BlockThreshold ?? options.BlockThreshold,
        InitLimitHalfOpen = InitLimitHalfOpen ?? options.InitLimitHalfOpen,
    };
}

/// <summary>
/// Loads the daemon's settings from a file in strongswan.conf syntax (strongSwan's settings syntax with includes,
/// read by <see cref="SettingsParser"/>). Only the <c>charon</c> section is read; other top-level sections and keys
/// belong to other programs (<c>swanctl</c>, <c>libstrongswan</c>, …) and are skipped without a word, so strongSwan's
/// own file can be used as it is. Inside <c>charon</c>, keys Portcullis does not implement are warnings naming file,
/// line and key ("ignored"), each subsection (<c>plugins</c>, …) is one such warning, except the <c>filelog</c> and
/// <c>syslog</c> loggers, whose subsystem levels are read (their destinations are warnings), and a bad value of an
/// implemented key is an error naming file, line and key.
/// </summary>
public static class DaemonSettingsLoader
{
    /// <summary>Where <c>portcullis daemon</c> looks when <c>--settings</c> is not given (a missing file there is fine).</summary>
    public const string DefaultPath = "/etc/portcullis/strongswan.conf";

    /// <summary>Smallest <c>fragment_size</c> besides 0: below it too little of a fragment is left after the headers.</summary>
    public const int MinFragmentSize = 256;

    /// <summary>Loads a file from disk; see <see cref="Load(string, IConfigFileSystem, bool)"/>.</summary>
    public static (DaemonSettings? Settings, IReadOnlyList<ConfigError> Errors, IReadOnlyList<ConfigError> Warnings) Load(string path, bool required) =>
        Load(path, PhysicalConfigFileSystem.Instance, required);

    /// <summary>
    /// Loads a file and its includes. A missing file is an error when <paramref name="required"/> (given on the command
    /// line), otherwise it means no settings. The settings are null when there is any error.
    /// </summary>
    public static (DaemonSettings? Settings, IReadOnlyList<ConfigError> Errors, IReadOnlyList<ConfigError> Warnings) Load(string path, IConfigFileSystem fileSystem, bool required)
    {
        if (!required && fileSystem.ReadAllText(Path.GetFullPath(path)) is null) return (new DaemonSettings(), [], []);
        (SettingsSection root, IReadOnlyList<ConfigError> syntaxErrors) = SettingsParser.ParseFile(path, fileSystem);
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigError> warnings) = Load(root);
        if (syntaxErrors.Count == 0) return (settings, errors, warnings);
        return (null, [.. syntaxErrors, .. errors], warnings);
    }

    /// <summary>Reads the <c>charon</c> section of an already parsed tree. The settings are null when there is any error.</summary>
    public static (DaemonSettings? Settings, IReadOnlyList<ConfigError> Errors, IReadOnlyList<ConfigError> Warnings) Load(SettingsSection root)
    {
        var ctx = new Context();
        var settings = new DaemonSettings();
        if (root.Section("charon") is { } charon)
        {
            foreach (SettingsValue v in charon.Values)
            {
                string key = charon.PathOf(v.Key);
                if (!s_charonKeys.TryGetValue(v.Key, out Func<DaemonSettings, SettingsValue, string, Context, DaemonSettings>? apply))
                    ctx.Warning(v.Location, key, $"ignored: the key '{v.Key}' is not implemented by Portcullis");
                else if (v.Value.Length > 0)
                    settings = apply(settings, v, key, ctx);
            }
            var levels = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (SettingsSection sub in charon.Sections)
            {
                if (sub.Name is "filelog" or "syslog") ReadLoggers(sub, levels, ctx);
                else ctx.Warning(sub.Location, sub.Path, $"ignored: the section '{sub.Name}' and everything in it ({SectionHint(sub.Name)})");
            }
            if (levels.Count > 0) settings = settings with { LogLevels = levels };
        }
        return (ctx.Errors.Count > 0 ? null : settings, ctx.Errors, ctx.Warnings);
    }

    private static string SectionHint(string name) => name switch
    {
        "plugins" => "Portcullis has no plugins",
        _ => "not implemented by Portcullis",
    };

    /// <summary>strongSwan's logging subsystems (debug groups), whose levels a filelog or syslog logger may set.</summary>
    private static readonly HashSet<string> s_subsystems = ["default", "dmn", "mgr", "ike", "chd", "job", "cfg", "knl", "net", "asn", "enc", "tnc", "imc", "imv", "pts", "tls", "esp", "lib"];

    /// <summary>
    /// <c>charon.filelog.NAME</c> and <c>charon.syslog.FACILITY</c>: the subsystem levels are read (-1 to 4), the
    /// destination and format keys are warnings (Portcullis writes one log, to standard output).
    /// </summary>
    private static void ReadLoggers(SettingsSection section, Dictionary<string, int> levels, Context ctx)
    {
        foreach (SettingsValue v in section.Values)
            ctx.Warning(v.Location, section.PathOf(v.Key), $"ignored: the key '{v.Key}' (loggers are subsections of {section.Name})");
        foreach (SettingsSection logger in section.Sections)
        {
            foreach (SettingsValue v in logger.Values)
            {
                string key = logger.PathOf(v.Key);
                if (!s_subsystems.Contains(v.Key))
                {
                    ctx.Warning(v.Location, key, $"ignored: Portcullis logs to standard output (the journal under systemd); only the levels of {section.Name} loggers are read");
                    continue;
                }
                if (!int.TryParse(v.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int level) || level is < -1 or > 4)
                {
                    ctx.Error(v, key, $"'{v.Value}' is not a log level (-1 silent, 0 basic … 4 everything)");
                    continue;
                }
                levels[v.Key] = levels.TryGetValue(v.Key, out int other) ? Math.Max(other, level) : level;
            }
            foreach (SettingsSection sub in logger.Sections) ctx.Warning(sub.Location, sub.Path, $"ignored: the section '{sub.Name}'");
        }
    }

    /// <summary>
    /// The keys of <c>charon</c> Portcullis implements: each handler parses the value and returns the settings with
    /// it applied, or reports the error through the context and returns them unchanged. To add a key, add a property
    /// to <see cref="DaemonSettings"/>, a line to its <see cref="DaemonSettings.ApplyTo"/> and an entry here.
    /// </summary>
    private static readonly Dictionary<string, Func<DaemonSettings, SettingsValue, string, Context, DaemonSettings>> s_charonKeys = new()
    {
        ["retransmit_tries"] = (s, v, key, ctx) => ctx.Integer(v, key, 0, 100) is { } n ? s with { RetransmitTries = n } : s,
        ["retransmit_timeout"] = (s, v, key, ctx) => ctx.Seconds(v, key, allowZero: false) is { } t ? s with { RetransmitTimeout = t } : s,
        ["retransmit_base"] = (s, v, key, ctx) => ctx.Base(v, key) is { } b ? s with { RetransmitBase = b } : s,
        ["retransmit_limit"] = (s, v, key, ctx) => ctx.Seconds(v, key, allowZero: true) is { } t ? s with { RetransmitLimit = t } : s,
        ["half_open_timeout"] = (s, v, key, ctx) => ctx.Duration(v, key) is { } t ? s with { HalfOpenTimeout = t } : s,
        ["fragment_size"] = (s, v, key, ctx) => ctx.FragmentSize(v, key) is { } n ? s with { FragmentSize = n } : s,
        ["dos_protection"] = (s, v, key, ctx) => ctx.Boolean(v, key) is { } b ? s with { DosProtection = b } : s,
        ["cookie_threshold"] = (s, v, key, ctx) => ctx.Integer(v, key, 0, 1_000_000) is { } n ? s with { CookieThreshold = n } : s,
        ["block_threshold"] = (s, v, key, ctx) => ctx.Integer(v, key, 0, 1_000_000) is { } n ? s with { BlockThreshold = n } : s,
        ["init_limit_half_open"] = (s, v, key, ctx) => ctx.Integer(v, key, 0, 10_000_000) is { } n ? s with { InitLimitHalfOpen = n } : s,
        // 253–255 are the kernel's default, main and local tables.
        ["routing_table"] = (s, v, key, ctx) => ctx.Integer(v, key, 0, int.MaxValue) is { } n ? n is >= 253 and <= 255
            ? ctx.Reject(v, key, $"{n} is the kernel's {(n == 253 ? "default" : n == 254 ? "main" : "local")} table; pick another (0: none)", s)
            : s with { RoutingTable = n } : s,
        ["routing_table_prio"] = (s, v, key, ctx) => ctx.Integer(v, key, 1, 32765) is { } n ? s with { RoutingTablePriority = n } : s,
    };

    private sealed class Context
    {
        public bool? Boolean(SettingsValue v, string key)
        {
            if (SwanctlValues.TryParseBool(v.Value, out bool b, out string? error)) return b;
            Errors.Add(new ConfigError(v.Location.File, v.Location.Line, key, error!));
            return null;
        }

        public List<ConfigError> Errors { get; } = [];
        public List<ConfigError> Warnings { get; } = [];

        public void Error(SettingsValue v, string key, string message) => Errors.Add(new ConfigError(v.Location.File, v.Location.Line, key, message));

        public DaemonSettings Reject(SettingsValue v, string key, string message, DaemonSettings unchanged)
        {
            Error(v, key, message);
            return unchanged;
        }

        public void Warning(SourceLocation at, string key, string message) => Warnings.Add(new ConfigError(at.File, at.Line, key, message));

        /// <summary>A whole number in strongSwan's formats (decimal or 0x hexadecimal) within [min, max].</summary>
        public int? Integer(SettingsValue v, string key, int min, int max)
        {
            string text = v.Value.Trim();
            bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? int.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int n)
                : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n);
            if (ok && n >= min && n <= max) return n;
            Error(v, key, $"'{v.Value}' is not a whole number from {min} to {max}");
            return null;
        }

        /// <summary>Seconds as a decimal number (<c>4</c>, <c>4.0</c>, <c>0.5</c>), as strongSwan reads these keys.</summary>
        public TimeSpan? Seconds(SettingsValue v, string key, bool allowZero)
        {
            if (double.TryParse(v.Value.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds)
                && (seconds > 0 || (allowZero && seconds == 0)) && seconds <= 86400)
                return TimeSpan.FromSeconds(seconds);
            Error(v, key, $"'{v.Value}' is not a number of seconds ({(allowZero ? "0 to disable, or " : "")}e.g. 4 or 4.5, at most a day)");
            return null;
        }

        /// <summary>A backoff base: at least 1 (below, retransmissions would come ever faster), at most 10.</summary>
        public double? Base(SettingsValue v, string key)
        {
            if (double.TryParse(v.Value.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double b) && b >= 1 && b <= 10) return b;
            Error(v, key, $"'{v.Value}' is not a backoff base from 1 to 10 (e.g. 1.8)");
            return null;
        }

        public TimeSpan? Duration(SettingsValue v, string key)
        {
            if (SwanctlValues.TryParseDuration(v.Value, out TimeSpan d, out string? error) && d > TimeSpan.Zero) return d;
            Error(v, key, error ?? $"'{v.Value}' must be longer than 0 seconds");
            return null;
        }

        public int? FragmentSize(SettingsValue v, string key)
        {
            int? size = Integer(v, key, 0, ushort.MaxValue);
            if (size is null or 0 or >= MinFragmentSize) return size;
            Error(v, key, $"{size} is too small for an IKE fragment: 0 (576 bytes for IPv4, 1280 for IPv6) or at least {MinFragmentSize}");
            return null;
        }
    }
}
