using System.Globalization;
using System.Text;

namespace Portcullis.Core.Metrics;

/// <summary>The metric types of Prometheus' text exposition format (version 0.0.4).</summary>
public enum MetricType
{
    /// <summary>Only ever goes up (resets on restart).</summary>
    Counter,
    /// <summary>Goes up and down.</summary>
    Gauge,
    /// <summary>Cumulative buckets with <c>_bucket{le=…}</c>, <c>_sum</c> and <c>_count</c>.</summary>
    Histogram,
}

/// <summary>
/// Writes Prometheus' text exposition format, version 0.0.4 (the <c>text/plain; version=0.0.4</c> a scrape expects):
/// per metric family one <c># HELP</c> and one <c># TYPE</c> line, then all of its samples together, each
/// <c>name{label="value",…} number</c>. The rules it keeps: names match <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>, label names
/// <c>[a-zA-Z_][a-zA-Z0-9_]*</c> and never start with <c>__</c>; label values escape backslash, double quote and
/// newline; HELP text escapes backslash and newline; a family is never split or repeated; histogram buckets are
/// cumulative, end with <c>le="+Inf"</c> equal to <c>_count</c>. prometheus-net is not available here, and this is
/// all a scrape needs.
/// </summary>
public sealed class PrometheusTextWriter
{
    /// <summary>The Content-Type of the output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();
    private readonly HashSet<string> _families = [];
    private string? _open;
    private MetricType _openType;

    /// <summary>Starts a family; its samples must follow before the next family starts.</summary>
    public PrometheusTextWriter Family(string name, MetricType type, string help)
    {
        if (!IsMetricName(name)) throw new ArgumentException($"'{name}' is not a valid metric name", nameof(name));
        if (!_families.Add(name)) throw new InvalidOperationException($"metric family '{name}' written twice");
        _text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type.ToString().ToLowerInvariant()).Append('\n');
        _open = name;
        _openType = type;
        return this;
    }

    /// <summary>A counter or gauge sample of the open family.</summary>
    public PrometheusTextWriter Sample(double value, params (string Name, string Value)[] labels)
    {
        if (_open is null || _openType == MetricType.Histogram) throw new InvalidOperationException("Sample needs an open counter or gauge family");
        Line(_open, labels, value);
        return this;
    }

    /// <summary>A whole histogram series of the open family: its buckets, sum and count.</summary>
    public PrometheusTextWriter Histogram(HistogramSnapshot histogram, params (string Name, string Value)[] labels)
    {
        if (_open is null || _openType != MetricType.Histogram) throw new InvalidOperationException("Histogram needs an open histogram family");
        for (int i = 0; i < histogram.UpperBounds.Count; i++)
            Line(_open + "_bucket", [.. labels, ("le", Number(histogram.UpperBounds[i]))], histogram.CumulativeCounts[i]);
        Line(_open + "_bucket", [.. labels, ("le", "+Inf")], histogram.Count);
        Line(_open + "_sum", labels, histogram.Sum);
        Line(_open + "_count", labels, histogram.Count);
        return this;
    }

    /// <inheritdoc />
    public override string ToString() => _text.ToString();

    private void Line(string name, (string Name, string Value)[] labels, double value)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (int i = 0; i < labels.Length; i++)
            {
                if (!IsLabelName(labels[i].Name)) throw new ArgumentException($"'{labels[i].Name}' is not a valid label name");
                if (i > 0) _text.Append(',');
                _text.Append(labels[i].Name).Append("=\"").Append(EscapeLabelValue(labels[i].Value)).Append('"');
            }
            _text.Append('}');
        }
        _text.Append(' ').Append(Number(value)).Append('\n');
    }

    /// <summary>Go's float formatting as Prometheus writes it: integers without a point, <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary><c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.</summary>
    public static bool IsMetricName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or ':') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    /// <summary><c>[a-zA-Z_][a-zA-Z0-9_]*</c>, not starting with the reserved <c>__</c>.</summary>
    public static bool IsLabelName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !name.StartsWith("__", StringComparison.Ordinal);

    /// <summary>Label values: backslash, double quote and line feed escaped.</summary>
    public static string EscapeLabelValue(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>HELP text: backslash and line feed escaped.</summary>
    public static string EscapeHelp(string help) => help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
