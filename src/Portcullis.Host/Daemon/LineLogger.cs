using System.Text;
using Microsoft.Extensions.Logging;

namespace Portcullis.Host.Daemon;

/// <summary>
/// One line per event on stdout, journald-friendly: <c>LEVEL category: message | key=value …</c>. systemd adds
/// the timestamp; on a terminal the time goes first. The structured fields of [LoggerMessage] events follow the
/// message, so <c>journalctl -o cat | grep Uid=3</c> and the like work.
/// </summary>
public sealed class LineLoggerProvider(TextWriter output, LogLevel minimum, bool timestamps) : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly TextWriter _output = output;
    private readonly LogLevel _minimum = minimum;
    private readonly bool _timestamps = timestamps;

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    /// <inheritdoc />
    public void Dispose() { }

    private sealed class LineLogger(LineLoggerProvider provider, string category) : ILogger
    {
        private readonly string _category = category[(category.LastIndexOf('.') + 1)..];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum;

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
