namespace Portcullis.Core.Config;

/// <summary>One <c>key = value</c> of a settings file, after includes and redefinitions (the last one wins).</summary>
/// <param name="Key">The key as written.</param>
/// <param name="Value">The value: its words joined by single spaces, quoted parts unescaped; empty for <c>key =</c>.</param>
/// <param name="Location">Where the winning definition was written.</param>
public sealed record SettingsValue(string Key, string Value, SourceLocation Location);

/// <summary>
/// A section of strongSwan's settings syntax (strongswan.conf, swanctl.conf): its key/value pairs and subsections, in
/// order of first appearance. Sections of the same name are merged; a key written twice keeps its position and takes
/// the later value.
/// </summary>
public sealed class SettingsSection
{
    private readonly List<SettingsValue> _values = [];
    private readonly List<SettingsSection> _sections = [];

    /// <summary>Creates a section.</summary>
    /// <param name="name">Its name (empty for the root).</param>
    /// <param name="path">Its dotted path from the root (<c>connections.gw</c>; empty for the root).</param>
    /// <param name="location">Where it was first opened.</param>
    public SettingsSection(string name, string path, SourceLocation location)
    {
        Name = name;
        Path = path;
        Location = location;
    }

    /// <summary>The section's name; empty for the root.</summary>
    public string Name { get; }

    /// <summary>The dotted path from the root; empty for the root.</summary>
    public string Path { get; }

    /// <summary>Where the section was first opened.</summary>
    public SourceLocation Location { get; }

    /// <summary>The key/value pairs, in order of first appearance.</summary>
    public IReadOnlyList<SettingsValue> Values => _values;

    /// <summary>The subsections, in order of first appearance.</summary>
    public IReadOnlyList<SettingsSection> Sections => _sections;

    /// <summary>The value of a key, or null.</summary>
    public SettingsValue? Value(string key) => _values.Find(v => v.Key == key);

    /// <summary>A subsection, or null.</summary>
    public SettingsSection? Section(string name) => _sections.Find(s => s.Name == name);

    /// <summary>The dotted path of a key or subsection in this section.</summary>
    public string PathOf(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    /// <summary>Sets a key; a key already present keeps its position and takes the new value and location.</summary>
    public void Set(string key, string value, SourceLocation location)
    {
        int i = _values.FindIndex(v => v.Key == key);
        var entry = new SettingsValue(key, value, location);
        if (i >= 0) _values[i] = entry;
        else _values.Add(entry);
    }

    /// <summary>The subsection of this name, created (at <paramref name="location"/>) when it does not exist yet.</summary>
    public SettingsSection GetOrAddSection(string name, SourceLocation location)
    {
        SettingsSection? existing = Section(name);
        if (existing is not null) return existing;
        var section = new SettingsSection(name, PathOf(name), location);
        _sections.Add(section);
        return section;
    }
}
