namespace Portcullis.Core.Config;

/// <summary>
/// How the settings parser reaches files: reading one, and expanding an <c>include</c> pattern. Paths are absolute
/// (the parser resolves relative includes against the including file's directory before asking).
/// </summary>
public interface IConfigFileSystem
{
    /// <summary>The file's text, or null when it does not exist or cannot be read.</summary>
    string? ReadAllText(string path);

    /// <summary>
    /// The files matching an absolute pattern whose segments may hold the shell wildcards <c>*</c>, <c>?</c> and
    /// <c>[…]</c>, sorted ordinally; empty when nothing matches.
    /// </summary>
    IReadOnlyList<string> Glob(string pattern);
}
