namespace Portcullis.Core.Config;

/// <summary>Passes reads through to another file system and remembers which files were read (for the permission check).</summary>
public sealed class RecordingConfigFileSystem(IConfigFileSystem inner) : IConfigFileSystem
{
    private readonly List<(string Path, string Text)> _read = [];

    /// <summary>Every file read that existed, with its text, in order.</summary>
    public IReadOnlyList<(string Path, string Text)> FilesRead => _read;

    /// <inheritdoc />
    public string? ReadAllText(string path)
    {
        string? text = inner.ReadAllText(path);
        if (text is not null) _read.Add((path, text));
        return text;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Glob(string pattern) => inner.Glob(pattern);
}
