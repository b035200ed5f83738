using System.Text;
using Microsoft.Extensions.Logging;

namespace Portcullis.Host.Daemon;

/// <summary>
/// One line per event on stdout, journald-friendly: <c>LEVEL category: message | key=value …</c>. systemd adds
/// the timestamp; on a terminal the time goes first. The structured fields of [LoggerMessage] events follow the
/// message, so <c>journalctl -o cat | grep Uid=3</c> and the like work.
/// </summary>
public sealed class LineLoggerProvider(TextWriter output, LogLevel minimum, bool timestamps, IReadOnlyDictionary<string, LogLevel>? subsystemLevels = null) : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly TextWriter _output = output;
    private readonly bool _timestamps = timestamps;
    private volatile IReadOnlyDictionary<string, LogLevel> _levels = subsystemLevels ?? new Dictionary<string, LogLevel>();
    private volatile object _minimumBox = minimum;
    private int _generation;

    /// <summary>The level of a subsystem (logger category): its own when set (<c>--log ike=2</c>), else the default.</summary>
    public LogLevel MinimumFor(string category) => _levels.TryGetValue(category, out LogLevel level) ? level : (LogLevel)_minimumBox;

    /// <summary>
    /// Replaces the levels (the daemon applies its settings file's filelog/syslog levels once it has read them);
    /// loggers already created pick the change up on their next check.
    /// </summary>
    public void SetLevels(IReadOnlyDictionary<string, LogLevel> levels, LogLevel minimum)
    {
        _levels = levels;
        _minimumBox = minimum;
        Interlocked.Increment(ref _generation);
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    /// <inheritdoc />
    public void Dispose() { }

    private sealed class LineLogger(LineLoggerProvider provider, string category) : ILogger
    {
        private readonly string _category = category[(category.LastIndexOf('.') + 1)..];
        private LogLevel _minimum = provider.MinimumFor(category[(category.LastIndexOf('.') + 1)..]);
        private int _generation = Volatile.Read(ref provider._generation);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel)
        {
            int generation = Volatile.Read(ref provider._generation);
            if (generation != _generation)
            {
                _minimum = provider.MinimumFor(_category);
                _generation = generation;
            }
            return logLevel != LogLevel.None && logLevel >= _minimum;
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var line = new StringBuilder();
            if (provider._timestamps) line.Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ")).Append(' ');
            line.Append(logLevel switch
            {
                LogLevel.Trace => "TRACE", LogLevel.Debug => "DEBUG", LogLevel.Information => "INFO ", LogLevel.Warning => "WARN ",
                LogLevel.Error => "ERROR", LogLevel.Critical => "CRIT ", _ => "     ",
            });
            line.Append(' ').Append(_category).Append(": ").Append(formatter(state, exception).ReplaceLineEndings(" "));
            if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                bool first = true;
                foreach ((string key, object? value) in fields)
                {
                    if (key == "{OriginalFormat}" || key is not ("Conn" or "Uid" or "ChildUid" or "Remote")) continue;
                    line.Append(first ? " | " : " ").Append(key).Append('=').Append(value);
                    first = false;
                }
            }
            if (exception is not null) line.Append(" | exception=").Append(exception.GetType().Name).Append(": ").Append(exception.Message.ReplaceLineEndings(" "));
            lock (provider._lock)
            {
                provider._output.WriteLine(line.ToString());
                provider._output.Flush();
            }
        }
    }
}

/// <summary>A logger factory over one <see cref="LineLoggerProvider"/> (no dependency on the full logging stack).</summary>
public sealed class LineLoggerFactory(LineLoggerProvider provider) : ILoggerFactory
{
    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("one provider only");

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => provider.CreateLogger(categoryName);

    /// <inheritdoc />
    public void Dispose() => provider.Dispose();
}

/// <summary>
/// Per-subsystem log levels in strongSwan's terms (<c>charon.filelog.*.ike = 2</c>): subsystem names (ours, and
/// strongSwan's three-letter groups mapped onto ours) and levels as strongSwan's numbers or as words.
/// </summary>
public static class SubsystemLevels
{
    /// <summary>strongSwan's groups and ours, to our logger categories.</summary>
    private static readonly Dictionary<string, string[]> s_subsystems = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ike"] = ["ike"], ["mgr"] = ["ike"], ["chd"] = ["ike"], ["enc"] = ["ike"], ["asn"] = ["ike"],
        ["esp"] = ["esp"], ["knl"] = ["esp"],
        ["daemon"] = ["daemon"], ["dmn"] = ["daemon"], ["cfg"] = ["daemon"], ["net"] = ["daemon"], ["job"] = ["daemon"],
        ["l2tp"] = ["l2tp"], ["ppp"] = ["ppp"],
    };

    /// <summary>
    /// Parses <c>SUBSYS=LEVEL[,SUBSYS=LEVEL…]</c>; LEVEL is strongSwan's -1 (silent) … 4 or a word (none, error,
    /// warning, info, debug, trace); <c>default=LEVEL</c> sets the rest. False with an error naming the bad part.
    /// </summary>
    public static bool TryParse(string text, out Dictionary<string, LogLevel> levels, out LogLevel? defaultLevel, out string? error)
    {
        levels = [];
        defaultLevel = null;
        error = null;
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2) { error = $"'{part}' is not SUBSYSTEM=LEVEL"; return false; }
            if (!TryLevel(kv[1], out LogLevel level)) { error = $"'{kv[1]}' is not a log level (-1 to 4, or none, error, warning, info, debug, trace)"; return false; }
            if (kv[0].Equals("default", StringComparison.OrdinalIgnoreCase)) { defaultLevel = level; continue; }
            if (!s_subsystems.TryGetValue(kv[0], out string[]? categories)) { error = $"unknown subsystem '{kv[0]}' (ike, esp, daemon, l2tp, ppp, or strongSwan's mgr, chd, enc, knl, dmn, cfg, net)"; return false; }
            foreach (string c in categories) levels[c] = level;
        }
        return true;
    }

    /// <summary>
    /// Levels by strongSwan subsystem as numbers (a settings file's filelog/syslog loggers) to levels by our logger
    /// category; where several subsystems share a category the most verbose wins. Subsystems without a category of
    /// ours (tls, tnc, lib…) have nothing to set.
    /// </summary>
    public static (Dictionary<string, LogLevel> Levels, LogLevel? Default) FromNumbers(IReadOnlyDictionary<string, int> numbers)
    {
        var levels = new Dictionary<string, LogLevel>();
        LogLevel? fallback = null;
        foreach ((string subsystem, int number) in numbers)
        {
            if (!TryLevel(number.ToString(System.Globalization.CultureInfo.InvariantCulture), out LogLevel level)) continue;
            if (subsystem == "default") { fallback = level; continue; }
            if (!s_subsystems.TryGetValue(subsystem, out string[]? categories)) continue;
            foreach (string c in categories) levels[c] = levels.TryGetValue(c, out LogLevel other) && other < level ? other : level;
        }
        return (levels, fallback);
    }

    /// <summary>strongSwan's numbers: -1 nothing, 0 basic (warnings and errors here), 1 audit (info), 2 control (debug), 3 and 4 (trace).</summary>
    private static bool TryLevel(string text, out LogLevel level)
    {
        LogLevel? parsed = text.ToLowerInvariant() switch
        {
            "-1" or "none" or "silent" => LogLevel.None,
            "error" => LogLevel.Error,
            "0" or "warning" or "warn" => LogLevel.Warning,
            "1" or "info" => LogLevel.Information,
            "2" or "debug" => LogLevel.Debug,
            "3" or "4" or "trace" => LogLevel.Trace,
            _ => null,
        };
        level = parsed ?? LogLevel.None;
        return parsed is not null;
    }
}
