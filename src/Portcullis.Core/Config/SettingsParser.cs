using System.Text;

namespace Portcullis.Core.Config;

/// <summary>
/// Parses strongSwan's settings syntax, as strongswan.conf and swanctl.conf use it, into a <see cref="SettingsSection"/>
/// tree: <c>name { … }</c> sections, <c>key = value</c> pairs (the value runs to the end of the line, <c>#</c> or
/// <c>}</c>; <c>"…"</c> quotes with <c>\n \r \t \"</c> escapes), <c>#</c> comments and <c>include PATTERN</c> (relative
/// to the including file's directory, with shell wildcards; a missing literal file is an error, an unmatched pattern
/// is not). Sections of the same name are merged and a key written twice takes the later value, as in strongSwan.
/// Problems come back as <see cref="ConfigError"/>s; the parser never throws for bad input.
/// </summary>
public static class SettingsParser
{
    /// <summary>How deeply includes may nest (a deeper chain is reported as a likely include loop).</summary>
    public const int MaxIncludeDepth = 16;

    /// <summary>Parses a file and everything it includes.</summary>
    public static (SettingsSection Root, IReadOnlyList<ConfigError> Errors) ParseFile(string path, IConfigFileSystem fileSystem)
    {
        var root = new SettingsSection("", "", new SourceLocation(path, 0));
        var errors = new List<ConfigError>();
        string full = Path.GetFullPath(path);
        string? text = fileSystem.ReadAllText(full);
        if (text is null) errors.Add(new ConfigError(full, 0, "", "cannot read the file"));
        else new Parser(fileSystem, errors).ParseFileText(full, text, root, 0);
        return (root, errors);
    }

    /// <summary>Parses text as if read from <paramref name="path"/> (includes are resolved against its directory).</summary>
    public static (SettingsSection Root, IReadOnlyList<ConfigError> Errors) ParseText(string text, string path, IConfigFileSystem? fileSystem = null)
    {
        var root = new SettingsSection("", "", new SourceLocation(path, 0));
        var errors = new List<ConfigError>();
        new Parser(fileSystem ?? new InMemoryConfigFileSystem(), errors).ParseFileText(path, text, root, 0);
        return (root, errors);
    }

    private sealed class Reader(string file, string text)
    {
        public string File { get; } = file;
        public string Text { get; } = text;
        public int Pos;
        public int Line = 1;
        public bool End => Pos >= Text.Length;
        public char Peek => Text[Pos];

        public void SkipBlanks()
        {
            while (!End && Peek is ' ' or '\t' or '\r') Pos++;
        }

        public void SkipLine()
        {
            while (!End && Peek != '\n') Pos++;
        }
    }

    private sealed class Parser(IConfigFileSystem fileSystem, List<ConfigError> errors)
    {
        public void ParseFileText(string file, string text, SettingsSection section, int depth)
        {
            var reader = new Reader(file, text);
            ParseBody(reader, section, depth, openLine: 0);
        }

        private void Error(Reader r, int line, string key, string message) => errors.Add(new ConfigError(r.File, line, key, message));

        /// <summary>Parses statements into <paramref name="section"/>; <paramref name="openLine"/> &gt; 0 when a '}' must close it.</summary>
        private void ParseBody(Reader r, SettingsSection section, int depth, int openLine)
        {
            while (true)
            {
                r.SkipBlanks();
                if (r.End)
                {
                    if (openLine > 0) Error(r, openLine, section.Path, $"missing '}}' closing section '{section.Name}'");
                    return;
                }
                char c = r.Peek;
                switch (c)
                {
                    case '\n':
                        r.Pos++;
                        r.Line++;
                        continue;
                    case '#':
                        r.SkipLine();
                        continue;
                    case '}':
                        r.Pos++;
                        if (openLine > 0) return;
                        Error(r, r.Line, section.Path, "unexpected '}'");
                        continue;
                    case '{' or '=' or '"':
                        Error(r, r.Line, section.Path, $"unexpected '{c}'");
                        r.SkipLine();
                        continue;
                }

                int line = r.Line;
                string name = ReadName(r);
                var location = new SourceLocation(r.File, line);
                if (name == "include" && !r.End && r.Peek is ' ' or '\t')
                {
                    r.SkipBlanks();
                    if (r.End || r.Peek != '=')
                    {
                        ParseInclude(r, section, depth);
                        continue;
                    }
                }
                r.SkipBlanks();
                string key = section.PathOf(name);
                bool reference = name.EndsWith(':') || (!r.End && r.Peek == ':');
                if (reference)
                {
                    Error(r, line, key.TrimEnd(':'), "section references ('name : other { … }') are not supported by Portcullis yet");
                    while (!r.End && r.Peek is not '{' and not '\n') r.Pos++;
                    if (r.End || r.Peek != '{') continue;
                    name = name.TrimEnd(':');
                }
                if (name.Contains('.'))
                {
                    Error(r, line, key, "'.' is not allowed in key or section names; write nested sections instead");
                }
                if (r.End || r.Peek is '\n' or '#')
                {
                    Error(r, line, key, $"expected '=' or '{{' after '{name}'");
                    continue;
                }
                if (r.Peek == '=')
                {
                    r.Pos++;
                    string? value = ReadValue(r, key);
                    if (value is not null) section.Set(name, value, location);
                }
                else if (r.Peek == '{')
                {
                    r.Pos++;
                    ParseBody(r, section.GetOrAddSection(name, location), depth, line);
                }
                else
                {
                    Error(r, line, key, $"expected '=' or '{{' after '{name}'");
                    r.SkipLine();
                }
            }
        }

        private static string ReadName(Reader r)
        {
            int start = r.Pos;
            while (!r.End && r.Peek is not ('#' or '{' or '}' or '=' or '"' or '\r' or '\n' or '\t' or ' ')) r.Pos++;
            return r.Text[start..r.Pos];
        }

        /// <summary>Reads a value up to the end of the line, '#' or '}': words joined by one space, quoted parts unescaped.</summary>
        private string? ReadValue(Reader r, string key)
        {
            var parts = new List<string>();
            while (true)
            {
                r.SkipBlanks();
                if (r.End || r.Peek is '\n' or '#' or '}') break;
                if (r.Peek == '"')
                {
                    string? quoted = ReadQuoted(r, key);
                    if (quoted is null) return null;
                    parts.Add(quoted);
                    continue;
                }
                int start = r.Pos;
                while (!r.End && r.Peek is not ('#' or '}' or '"' or '\r' or '\n' or '\t' or ' ')) r.Pos++;
                parts.Add(r.Text[start..r.Pos]);
            }
            return string.Join(' ', parts);
        }

        /// <summary>Reads a "…" string at the reader (which is on the opening quote); null after reporting an error.</summary>
        private string? ReadQuoted(Reader r, string key)
        {
            int line = r.Line;
            r.Pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (r.End)
                {
                    Error(r, line, key, "unterminated quoted string");
                    return null;
                }
                char c = r.Text[r.Pos++];
                switch (c)
                {
                    case '"':
                        return sb.ToString();
                    case '\r':
                        break;
                    case '\n':
                        sb.Append('\n');
                        r.Line++;
                        break;
                    case '\\':
                        if (r.End) break;
                        char e = r.Text[r.Pos++];
                        switch (e)
                        {
                            case 'n': sb.Append('\n'); break;
                            case 'r': sb.Append('\r'); break;
                            case 't': sb.Append('\t'); break;
                            case '\n': r.Line++; break; // an escaped end of line joins the lines
                            case '\r' when !r.End && r.Peek == '\n': r.Pos++; r.Line++; break;
                            default: sb.Append(e); break;
                        }
                        break;
                    default:
                        sb.Append(c);
                        break;
                }
            }
        }

        private void ParseInclude(Reader r, SettingsSection section, int depth)
        {
            int line = r.Line;
            string key = section.PathOf("include");
            string? pattern;
            if (!r.End && r.Peek == '"')
            {
                pattern = ReadQuoted(r, key);
                if (pattern is null) return;
            }
            else
            {
                var sb = new StringBuilder();
                while (!r.End && r.Peek is not ('#' or '}' or '\n' or '\t' or ' '))
                {
                    char c = r.Text[r.Pos++];
                    if (c == '\r') continue;
                    if (c == '\\' && !r.End && r.Peek is '"' or '#' or '}' or ' ') c = r.Text[r.Pos++];
                    sb.Append(c);
                }
                pattern = sb.ToString();
            }
            if (pattern.Length == 0)
            {
                Error(r, line, key, "include without a file name");
                return;
            }
            if (pattern.Contains('\0'))
            {
                // Path APIs throw on NUL; a file name cannot hold one anyway.
                Error(r, line, key, "include file name contains a NUL character");
                return;
            }
            if (depth >= MaxIncludeDepth)
            {
                Error(r, line, key, $"includes nested more than {MaxIncludeDepth} deep (an include loop?) at '{pattern}'");
                return;
            }

            string directory = Path.GetDirectoryName(r.File) ?? "";
            string resolved = Path.GetFullPath(Path.IsPathRooted(pattern) ? pattern : Path.Combine(directory, pattern));
            IReadOnlyList<string> files;
            if (GlobPattern.HasWildcards(pattern)) files = fileSystem.Glob(resolved);
            else files = [resolved];

            foreach (string file in files)
            {
                string? text = fileSystem.ReadAllText(file);
                if (text is null)
                {
                    Error(r, line, key, $"included file '{file}' not found or not readable");
                    continue;
                }
                ParseFileText(file, text, section, depth + 1);
            }
        }
    }
}
