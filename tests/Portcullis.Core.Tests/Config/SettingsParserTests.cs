using Portcullis.Core.Config;

namespace Portcullis.Core.Tests.Config;

public class SettingsParserTests
{
    private const string Main = "/etc/swanctl/swanctl.conf";

    private static SettingsSection ParseOk(string text, InMemoryConfigFileSystem? fs = null)
    {
        (SettingsSection root, IReadOnlyList<ConfigError> errors) = SettingsParser.ParseText(text, Main, fs);
        Assert.Empty(errors);
        return root;
    }

    private static ConfigError ParseError(string text, InMemoryConfigFileSystem? fs = null)
    {
        (_, IReadOnlyList<ConfigError> errors) = SettingsParser.ParseText(text, Main, fs);
        return Assert.Single(errors);
    }

    [Fact]
    public void SectionsKeysAndLocations()
    {
        SettingsSection root = ParseOk("""
            a = b
            section-one {
                somevalue = asdf
                subsection {
                    othervalue = xxx
                }
                # yei, a comment
                yetanother = zz
            }
            """);
        Assert.Equal("b", root.Value("a")!.Value);
        Assert.Equal(new SourceLocation(Main, 1), root.Value("a")!.Location);
        SettingsSection one = root.Section("section-one")!;
        Assert.Equal(new SourceLocation(Main, 2), one.Location);
        Assert.Equal("section-one", one.Path);
        Assert.Equal(["somevalue", "yetanother"], one.Values.Select(v => v.Key));
        Assert.Equal(8, one.Value("yetanother")!.Location.Line);
        SettingsSection sub = one.Section("subsection")!;
        Assert.Equal("section-one.subsection", sub.Path);
        Assert.Equal("xxx", sub.Value("othervalue")!.Value);
        Assert.Equal(5, sub.Value("othervalue")!.Location.Line);
    }

    [Fact]
    public void LaterKeyWinsAndSameNamedSectionsMerge()
    {
        SettingsSection root = ParseOk("""
            s {
                k = first
                x = 1
            }
            s {
                k = second
                y = 2
            }
            """);
        SettingsSection s = Assert.Single(root.Sections);
        Assert.Equal(1, s.Location.Line);
        Assert.Equal(["k", "x", "y"], s.Values.Select(v => v.Key));
        Assert.Equal("second", s.Value("k")!.Value);
        Assert.Equal(6, s.Value("k")!.Location.Line);
    }

    [Fact]
    public void ValuesCommentsAndQuotes()
    {
        SettingsSection root = ParseOk("a = one   two  # comment\n"
            + "b = \"quoted # not a comment\"\n"
            + "c = \"tab\\there \\\"q\\\" back\\\\slash\"\n"
            + "d = \"joined \\\nline\"\n"
            + "e =\n"
            + "g = \"multi\nline\"\n"
            + "h = 0x0102:03\r\n"
            + "s { k = v }\n");
        Assert.Equal("one two", root.Value("a")!.Value);
        Assert.Equal("quoted # not a comment", root.Value("b")!.Value);
        Assert.Equal("tab\there \"q\" back\\slash", root.Value("c")!.Value);
        Assert.Equal("joined line", root.Value("d")!.Value);
        Assert.Equal(4, root.Value("d")!.Location.Line);
        Assert.Equal("", root.Value("e")!.Value);
        Assert.Equal("multi\nline", root.Value("g")!.Value);
        Assert.Equal(7, root.Value("g")!.Location.Line);
        Assert.Equal("0x0102:03", root.Value("h")!.Value);
        Assert.Equal(9, root.Value("h")!.Location.Line);
        Assert.Equal("v", root.Section("s")!.Value("k")!.Value);
        Assert.Equal(10, root.Section("s")!.Location.Line);
    }

    [Fact]
    public void UnbalancedCloseBraceIsAnError()
    {
        // "f = x}" ends the value at '}', which then closes nothing.
        ConfigError e = ParseError("f = x}\n");
        Assert.Equal((Main, 1, ""), (e.File, e.Line, e.Key));
        Assert.Contains("unexpected '}'", e.Message);
    }

    [Fact]
    public void IncludeWithGlobIsRelativeToTheIncludingFileAndAddsToTheEnclosingSection()
    {
        var fs = new InMemoryConfigFileSystem()
            .Add("/etc/swanctl/conf.d/b.conf", "gw-b {\n  version = 2\n}\n")
            .Add("/etc/swanctl/conf.d/a.conf", "gw-a {\n  version = 1\n}\ngw-b {\n  version = 1\n}\n")
            .Add("/etc/swanctl/conf.d/readme.txt", "not = included\n")
            .Add("/etc/swanctl/secrets.conf", "ike-x {\n secret = s\n}\n");
        SettingsSection root = ParseOk("""
            connections {
                include conf.d/*.conf
            }
            secrets {
                include "secrets.conf"   # quoted
            }
            include nothing/*.conf
            """, fs);
        SettingsSection connections = root.Section("connections")!;
        Assert.Equal(["gw-a", "gw-b"], connections.Sections.Select(s => s.Name));
        SettingsSection b = connections.Section("gw-b")!;
        Assert.Equal("connections.gw-b", b.Path);
        Assert.Equal(new SourceLocation("/etc/swanctl/conf.d/a.conf", 4), b.Location); // a.conf sorts first
        Assert.Equal("2", b.Value("version")!.Value);                                    // b.conf's value wins
        Assert.Equal(new SourceLocation("/etc/swanctl/conf.d/b.conf", 2), b.Value("version")!.Location);
        Assert.Null(connections.Value("not"));
        Assert.Equal(new SourceLocation("/etc/swanctl/secrets.conf", 2), root.Section("secrets")!.Section("ike-x")!.Value("secret")!.Location);
    }

    [Fact]
    public void MissingLiteralIncludeIsAnErrorUnmatchedGlobIsNot()
    {
        ConfigError e = ParseError("connections {\n\n  include missing.conf\n  include none/*.conf\n}\n");
        Assert.Equal((Main, 3, "connections.include"), (e.File, e.Line, e.Key));
        Assert.Contains("/etc/swanctl/missing.conf", e.Message);
    }

    [Fact]
    public void IncludeWithANulCharacterIsAnErrorNotAnException()
    {
        // Found by the fuzzer (swanctl-conf): Path.GetFullPath threw ArgumentException on the NUL.
        ConfigError e = ParseError("connections {\n  include \"a\0b.conf\"\n}\n");
        Assert.Equal((Main, 2, "connections.include"), (e.File, e.Line, e.Key));
        Assert.Equal("include file name contains a NUL character", e.Message);
        Assert.Equal("include file name contains a NUL character", ParseError("include x\0*.conf\n").Message);
    }

    [Fact]
    public void IncludeAtTheEndOfTheFileIsAnErrorNotAnException()
    {
        // Found by the fuzzer (swanctl-conf): "include " as the last bytes read past the end of the text.
        ConfigError e = ParseError("connections { }\ninclude ");
        Assert.Equal((Main, 2, "include"), (e.File, e.Line, e.Key));
        Assert.Equal("include without a file name", e.Message);
    }

    [Fact]
    public void IncludeLoopIsReported()
    {
        var fs = new InMemoryConfigFileSystem().Add("/etc/swanctl/loop.conf", "include loop.conf\n");
        (_, IReadOnlyList<ConfigError> errors) = SettingsParser.ParseText("include loop.conf\n", Main, fs);
        ConfigError e = Assert.Single(errors);
        Assert.Equal(("/etc/swanctl/loop.conf", 1, "include"), (e.File, e.Line, e.Key));
        Assert.Contains("nested", e.Message);
    }

    [Fact]
    public void IncludeAsAKeyIsAKey()
    {
        SettingsSection root = ParseOk("include = yes\n");
        Assert.Equal("yes", root.Value("include")!.Value);
    }

    [Theory]
    [InlineData("a {\n  b {\n    c = d\n  }\n", 1, "a", "missing '}'")]
    [InlineData("a {\n  lonely\n}\n", 2, "a.lonely", "expected '=' or '{' after 'lonely'")]
    [InlineData("a {\n  x.y = 1\n}\n", 2, "a.x.y", "'.' is not allowed")]
    [InlineData("conns {\n  c : defaults {\n  }\n}\n", 2, "conns.c", "section references")]
    [InlineData("a {\n  = 5\n}\n", 2, "a", "unexpected '='")]
    public void LexicalErrorsCarryFileLineAndKey(string text, int line, string key, string message)
    {
        ConfigError e = ParseError(text);
        Assert.Equal((Main, line, key), (e.File, e.Line, e.Key));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void UnterminatedQuoteIsReportedWhereItStarts()
    {
        (_, IReadOnlyList<ConfigError> errors) = SettingsParser.ParseText("a {\n  k = \"open\n}\n", Main);
        Assert.Equal((Main, 2, "a.k"), (errors[0].File, errors[0].Line, errors[0].Key));
        Assert.Equal("unterminated quoted string", errors[0].Message);
    }

    [Fact]
    public void PhysicalFileSystemReadsAndGlobsRealFiles()
    {
        string dir = Path.Combine(Path.GetTempPath(), "portcullis-settings-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "conf.d"));
        try
        {
            File.WriteAllText(Path.Combine(dir, "main.conf"), "s {\n  include conf.d/*.conf\n}\n");
            File.WriteAllText(Path.Combine(dir, "conf.d", "2.conf"), "two = 2\n");
            File.WriteAllText(Path.Combine(dir, "conf.d", "1.conf"), "one = 1\n");
            File.WriteAllText(Path.Combine(dir, "conf.d", ".hidden.conf"), "hidden = 1\n");
            (SettingsSection root, IReadOnlyList<ConfigError> errors) = SettingsParser.ParseFile(Path.Combine(dir, "main.conf"), PhysicalConfigFileSystem.Instance);
            Assert.Empty(errors);
            SettingsSection s = root.Section("s")!;
            Assert.Equal(["one", "two"], s.Values.Select(v => v.Key));
            Assert.Equal(new SourceLocation(Path.Combine(dir, "conf.d", "2.conf"), 1), s.Value("two")!.Location);

            (_, errors) = SettingsParser.ParseFile(Path.Combine(dir, "absent.conf"), PhysicalConfigFileSystem.Instance);
            Assert.Equal(Path.Combine(dir, "absent.conf"), Assert.Single(errors).File);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
