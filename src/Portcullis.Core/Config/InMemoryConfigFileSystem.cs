namespace Portcullis.Core.Config;

/// <summary>Files held in memory, keyed by absolute path (for tests, and for configuration that does not come from disk).</summary>
public sealed class InMemoryConfigFileSystem : IConfigFileSystem
{
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);

    /// <summary>Creates an empty file system.</summary>
    public InMemoryConfigFileSystem() { }

    /// <summary>Creates a file system holding these files (path → text).</summary>
    public InMemoryConfigFileSystem(IEnumerable<KeyValuePair<string, string>> files)
    {
        foreach ((string path, string text) in files) Add(path, text);
    }

    /// <summary>Adds or replaces a file.</summary>
    public InMemoryConfigFileSystem Add(string path, string text)
    {
        _files[path] = text;
        return this;
    }

    /// <inheritdoc />
    public string? ReadAllText(string path) => _files.GetValueOrDefault(path);

    /// <inheritdoc />
    public IReadOnlyList<string> Glob(string pattern)
    {
        string[] patternSegments = pattern.Split('/');
        var matches = new List<string>();
        foreach (string path in _files.Keys)
        {
            string[] segments = path.Split('/');
            if (segments.Length != patternSegments.Length) continue;
            bool all = true;
            for (int i = 0; i < segments.Length && all; i++)
                all = GlobPattern.IsMatch(segments[i], patternSegments[i])
                    && !(segments[i].StartsWith('.') && !patternSegments[i].StartsWith('.') && GlobPattern.HasWildcards(patternSegments[i]));
            if (all) matches.Add(path);
        }
        matches.Sort(StringComparer.Ordinal);
        return matches;
    }
}
