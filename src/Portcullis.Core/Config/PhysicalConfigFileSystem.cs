namespace Portcullis.Core.Config;

/// <summary>The real file system.</summary>
public sealed class PhysicalConfigFileSystem : IConfigFileSystem
{
    /// <summary>The shared instance.</summary>
    public static PhysicalConfigFileSystem Instance { get; } = new();

    /// <inheritdoc />
    public string? ReadAllText(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Glob(string pattern)
    {
        string full = Path.GetFullPath(pattern);
        string root = Path.GetPathRoot(full) ?? "/";
        string[] segments = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = new List<string> { root };
        for (int i = 0; i < segments.Length; i++)
        {
            bool last = i == segments.Length - 1;
            string segment = segments[i];
            var next = new List<string>();
            foreach (string dir in current)
            {
                if (!GlobPattern.HasWildcards(segment))
                {
                    string candidate = Path.Combine(dir, segment);
                    if (last ? File.Exists(candidate) : Directory.Exists(candidate)) next.Add(candidate);
                    continue;
                }
                IEnumerable<string> entries;
                try { entries = last ? Directory.EnumerateFiles(dir) : Directory.EnumerateDirectories(dir); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
                foreach (string entry in entries)
                {
                    string name = Path.GetFileName(entry);
                    // As the shell: a wildcard does not match a leading dot.
                    if (name.StartsWith('.') && !segment.StartsWith('.')) continue;
                    if (GlobPattern.IsMatch(name, segment)) next.Add(entry);
                }
            }
            next.Sort(StringComparer.Ordinal);
            current = next;
            if (current.Count == 0) break;
        }
        return current;
    }
}
