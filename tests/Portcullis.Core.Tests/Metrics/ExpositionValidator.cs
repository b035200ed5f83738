using System.Globalization;
using System.Text.RegularExpressions;

namespace Portcullis.Core.Tests.Metrics;

/// <summary>
/// An independent reader of Prometheus' text format 0.0.4, written from its specification ("Exposition formats",
/// prometheus.io) rather than from our writer: line grammar, name and label syntax and escapes, HELP/TYPE at most once
/// per family and before its samples, a family's samples contiguous, no duplicate series, counters non-negative,
/// histogram buckets cumulative with a +Inf bucket equal to _count and a _sum.
/// </summary>
internal static partial class ExpositionValidator
{
    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)( -?[0-9]+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""\G([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)""")]
    private static partial Regex LabelPair();

    public static List<string> Validate(string text)
    {
        var errors = new List<string>();
        var types = new Dictionary<string, string>();
        var helps = new HashSet<string>();
        var seen = new HashSet<string>();
        var closed = new HashSet<string>();
        var sampled = new HashSet<string>();
        string? current = null;
        var buckets = new Dictionary<string, List<(double Le, double Count)>>();
        var counts = new Dictionary<string, double>();
        var sums = new HashSet<string>();
        if (text.Length > 0 && !text.EndsWith('\n')) errors.Add("the exposition must end with a line feed");
        string[] lines = text.TrimEnd('\n').Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                string[] parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[1] is "HELP" or "TYPE")
                {
                    string family = parts[2];
                    if (closed.Contains(family) || sampled.Contains(family)) errors.Add($"line {n + 1}: {parts[1]} for {family} after its samples");
                    if (parts[1] == "TYPE")
                    {
                        if (types.ContainsKey(family)) errors.Add($"line {n + 1}: second TYPE for {family}");
                        string type = parts.Length > 3 ? parts[3] : "";
                        if (type is not ("counter" or "gauge" or "histogram" or "summary" or "untyped")) errors.Add($"line {n + 1}: unknown type '{type}'");
                        types[family] = type;
                    }
                    else if (!helps.Add(family)) errors.Add($"line {n + 1}: second HELP for {family}");
                    if (current is not null && current != family) closed.Add(current);
                    current = family;
                }
                continue;
            }
            Match m = SampleLine().Match(line);
            if (!m.Success) { errors.Add($"line {n + 1}: not a sample: {line}"); continue; }
            string name = m.Groups[1].Value;
            string familyName = FamilyOf(name, types);
            if (closed.Contains(familyName)) errors.Add($"line {n + 1}: family {familyName} is split");
            if (current is not null && current != familyName) closed.Add(current);
            current = familyName;
            sampled.Add(familyName);
            var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
            string labelText = m.Groups[3].Value;
            int at = 0;
            while (at < labelText.Length)
            {
                Match p = LabelPair().Match(labelText, at);
                if (!p.Success) { errors.Add($"line {n + 1}: bad labels '{labelText}'"); break; }
                if (p.Groups[1].Value.StartsWith("__", StringComparison.Ordinal)) errors.Add($"line {n + 1}: reserved label {p.Groups[1].Value}");
                if (!labels.TryAdd(p.Groups[1].Value, p.Groups[2].Value)) errors.Add($"line {n + 1}: label {p.Groups[1].Value} twice");
                at += p.Length;
            }
            if (!TryNumber(m.Groups[4].Value, out double value)) { errors.Add($"line {n + 1}: bad value '{m.Groups[4].Value}'"); continue; }
            string series = name + "{" + string.Join(",", labels.Select(kv => $"{kv.Key}={kv.Value}")) + "}";
            if (!seen.Add(series)) errors.Add($"line {n + 1}: duplicate series {series}");
            string type0 = types.GetValueOrDefault(familyName, "untyped");
            if (type0 == "counter" && (value < 0 || double.IsNaN(value))) errors.Add($"line {n + 1}: negative counter");
            if (type0 == "histogram")
            {
                string key = familyName + "{" + string.Join(",", labels.Where(kv => kv.Key != "le").Select(kv => $"{kv.Key}={kv.Value}")) + "}";
                if (name == familyName + "_bucket")
                {
                    if (!labels.TryGetValue("le", out string? le) || !TryNumber(le, out double bound)) { errors.Add($"line {n + 1}: bucket without a valid le"); continue; }
                    if (!buckets.TryGetValue(key, out var list)) buckets[key] = list = [];
                    list.Add((bound, value));
                }
                else if (name == familyName + "_count") counts[key] = value;
                else if (name == familyName + "_sum") sums.Add(key);
                else errors.Add($"line {n + 1}: {name} in histogram {familyName}");
            }
        }
        foreach ((string key, var list) in buckets)
        {
            for (int i = 1; i < list.Count; i++)
            {
                if (!(list[i].Le > list[i - 1].Le)) errors.Add($"{key}: bucket bounds not ascending");
                if (list[i].Count < list[i - 1].Count) errors.Add($"{key}: buckets not cumulative");
            }
            if (list.Count == 0 || !double.IsPositiveInfinity(list[^1].Le)) errors.Add($"{key}: no +Inf bucket");
            else if (!counts.TryGetValue(key, out double count) || count != list[^1].Count) errors.Add($"{key}: _count differs from the +Inf bucket");
            if (!sums.Contains(key)) errors.Add($"{key}: no _sum");
        }
        return errors;
    }

    private static string FamilyOf(string name, Dictionary<string, string> types)
    {
        foreach (string suffix in (string[])["_bucket", "_count", "_sum"])
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.GetValueOrDefault(name[..^suffix.Length]) is "histogram" or "summary")
                return name[..^suffix.Length];
        return name;
    }

    private static bool TryNumber(string text, out double value)
    {
        value = 0;
        switch (text)
        {
            case "+Inf": value = double.PositiveInfinity; return true;
            case "-Inf": value = double.NegativeInfinity; return true;
            case "NaN": value = double.NaN; return true;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
