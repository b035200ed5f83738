using Microsoft.Extensions.Logging;

namespace Portcullis.Host.Daemon;

/// <summary>One log event as the VICI <c>log</c> and <c>control-log</c> events carry it.</summary>
/// <param name="Level">strongSwan's level: 0 basic (warnings, errors), 1 audit (our Information), 2 control (Debug), 3 raw (Trace).</param>
/// <param name="Group">strongSwan's three-letter subsystem (IKE, ESP, DMN, CFG…).</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Conn">The connection named in the event's fields, if any.</param>
/// <param name="Uid">The IKE SA's unique id in the event's fields, if any.</param>
/// <param name="EventId">The [LoggerMessage] event id.</param>
/// <param name="Fields">The event's named values as text (warnings and errors only; empty otherwise).</param>
public sealed record LogTapLine(int Level, string Group, string Message, string? Conn, string? Uid, int EventId, IReadOnlyDictionary<string, string> Fields);

/// <summary>
/// A logger factory that writes through the daemon's own factory and also hands every line at Information or above
/// (and below, when the inner logger is enabled for it) to <see cref="Observer"/>: how VICI clients get the log
/// (<c>swanctl --initiate</c> prints its <c>control-log</c>, <c>swanctl --log</c> the <c>log</c> event).
/// </summary>
public sealed class LogTapFactory(ILoggerFactory inner) : ILoggerFactory
{
    /// <summary>Called on the logging thread for each line; must be quick and thread-safe.</summary>
    public Action<LogTapLine>? Observer { get; set; }

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new TapLogger(this, inner.CreateLogger(categoryName), Group(categoryName));

    /// <inheritdoc />
    public void Dispose() { }

    /// <summary>strongSwan's subsystem names for our logger categories.</summary>
    internal static string Group(string category)
    {
        string c = category[(category.LastIndexOf('.') + 1)..].ToLowerInvariant();
        return c switch
        {
            "ike" or "ikev1" => "IKE",
            "esp" => "ESP",
            "daemon" => "DMN",
            "config" or "cfg" or "vici" => "CFG",
            "net" => "NET",
            "l2tp" => "L2T",
            "ppp" => "PPP",
            _ => c.Length >= 3 ? c[..3].ToUpperInvariant() : c.ToUpperInvariant(),
        };
    }

    private static readonly Dictionary<string, string> s_noFields = [];

    private sealed class TapLogger(LogTapFactory factory, ILogger inner, string group) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel) || (logLevel >= LogLevel.Information && factory.Observer is not null);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            bool written = inner.IsEnabled(logLevel);
            if (written) inner.Log(logLevel, eventId, state, exception, formatter);
            // Below Information only what the log itself shows: --debug is what makes debug lines exist.
            if (factory.Observer is not { } observer || logLevel == LogLevel.None || (logLevel < LogLevel.Information && !written)) return;
            string? conn = null, uid = null;
            int level = logLevel switch { >= LogLevel.Warning => 0, LogLevel.Information => 1, LogLevel.Debug => 2, _ => 3 };
            Dictionary<string, string>? named = level == 0 ? [] : null;
            if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                foreach ((string key, object? value) in fields)
                {
                    if (key == "Conn") conn = value?.ToString();
                    else if (key == "Uid") uid = value?.ToString();
                    if (named is not null && key != "{OriginalFormat}") named[key] = value?.ToString() ?? "";
                }
            }
            observer(new LogTapLine(level, group, formatter(state, exception).ReplaceLineEndings(" "), conn, uid, eventId.Id,
                (IReadOnlyDictionary<string, string>?)named ?? s_noFields));
        }
    }
}
