using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Portcullis.Fuzz;

/// <summary>
/// One entry point under test. <see cref="Run"/> takes one input; anything it throws is a crash. A target keeps its
/// set-up (an established engine pair, keys) between inputs and rebuilds it when an input has used it up.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>Runs one input: parse it, or feed it to an engine, and check the target's properties.</summary>
    void Run(byte[] input, FuzzContext context);
}

/// <summary>A registered target: its name (the corpus folder), what it exercises, and a factory for a fresh instance.</summary>
public sealed record FuzzTargetInfo(string Name, string Description, Func<IFuzzTarget> Create, long MaxAllocatedBytes = 64L << 20);

/// <summary>A property of the target was violated (not a bug in the fuzzer): reported as a crash.</summary>
public sealed class PropertyViolationException(string message) : Exception(message);

/// <summary>
/// What one input did, as the fuzzer's coverage signal: .NET has no SanitizerCoverage, so targets report behaviour
/// features instead (the typed parse error and the field it names, the payload types read, log templates, events,
/// states reached). An input that shows a feature never seen before joins the corpus.
/// </summary>
public sealed partial class FuzzContext
{
    private readonly HashSet<string> _features = [];

    /// <summary>Features of the current input.</summary>
    public IReadOnlyCollection<string> Features => _features;

    /// <summary>Clears the features for the next input.</summary>
    public void Reset() => _features.Clear();

    /// <summary>Adds a feature; digits and long hex runs are folded so values do not count as new behaviour.</summary>
    public void Feature(string feature)
    {
        if (_features.Count < 256) _features.Add(Normalize(feature));
    }

    /// <summary>Folds quoted text, numbers and hex so that "length 37" and "length 38" are one feature.</summary>
    public static string Normalize(string text)
    {
        text = Quoted().Replace(text, "'?'");
        text = HexRun().Replace(text, "#");
        text = Digits().Replace(text, "#");
        return text.Length > 160 ? text[..160] : text;
    }

    /// <summary>
    /// The shape of a message about free text (configuration, JSON): the words before the first quote, letters and
    /// spaces only, so that the input's own words never count as new behaviour.
    /// </summary>
    public static string Shape(string text)
    {
        text = HexRun().Replace(text, "#"); // SPIs, cookies and keys are values, not words
        int quote = text.IndexOfAny(['\'', '"', '`']);
        if (quote >= 0) text = text[..quote];
        var sb = new StringBuilder(Math.Min(text.Length, 64));
        foreach (char c in text)
        {
            if (sb.Length >= 64) break;
            if (char.IsAsciiLetter(c) || c == ' ') sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Throws a property violation when <paramref name="condition"/> is false.</summary>
    public static void Check(bool condition, string property)
    {
        if (!condition) throw new PropertyViolationException(property);
    }

    [GeneratedRegex("(0x)?[0-9a-fA-F]{6,}")]
    private static partial Regex HexRun();

    [GeneratedRegex("'[^']*'|\"[^\"]*\"|`[^`]*`")]
    private static partial Regex Quoted();

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();
}

/// <summary>
/// A logger whose lines become features of the current input (the message template, the level, and its string
/// arguments), and which checks that no exception is logged: a peer's bad input must be a warning, never a trace.
/// </summary>
public sealed class FeatureLogger(Func<FuzzContext?> context) : ILogger
{
    /// <summary>Lines logged since the target was created (for the log-volume property).</summary>
    public long Lines { get; private set; }

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Lines++;
        if (exception is not null) throw new PropertyViolationException($"an exception was logged: {exception}");
        FuzzContext? ctx = context();
        if (ctx is null) return;
        if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            var sb = new StringBuilder().Append(logLevel).Append(':');
            foreach (KeyValuePair<string, object?> kv in values)
            {
                if (kv.Key == "{OriginalFormat}") sb.Append(kv.Value);
                else if (kv.Value is string s && kv.Key is "Reason" or "Error" or "Why" or "Field" or "What") ctx.Feature($"log-arg:{kv.Key}={FuzzContext.Shape(s)}");
            }
            ctx.Feature(sb.ToString());
        }
        else
        {
            ctx.Feature($"{logLevel}:{formatter(state, exception)}");
        }
    }
}
