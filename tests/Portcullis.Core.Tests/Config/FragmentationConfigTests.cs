using Portcullis.Core.Config;

namespace Portcullis.Core.Tests.Config;

/// <summary>swanctl.conf's <c>connections.NAME.fragmentation</c>.</summary>
public class FragmentationConfigTests
{
    private const string Main = "/etc/swanctl/swanctl.conf";

    private static string Connection(string line) => $$"""
        connections {
            c {
                {{line}}
                local {
                    auth = psk
                }
                remote {
                    auth = psk
                }
            }
        }
        """;

    private static (PortcullisConfig? Config, IReadOnlyList<ConfigError> Errors) Load(string text) =>
        SwanctlConfigLoader.Load(Main, new InMemoryConfigFileSystem().Add(Main, text));

    [Theory]
    [InlineData("fragmentation = yes", FragmentationPolicy.Yes)]
    [InlineData("fragmentation = accept", FragmentationPolicy.Accept)]
    [InlineData("fragmentation = force", FragmentationPolicy.Force)]
    [InlineData("fragmentation = no", FragmentationPolicy.No)]
    [InlineData("fragmentation = NO", FragmentationPolicy.No)]
    [InlineData("# yes is strongSwan's default", FragmentationPolicy.Yes)]
    public void Fragmentation_values(string line, FragmentationPolicy expected)
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = Load(Connection(line));
        Assert.Empty(errors);
        Assert.Equal(expected, Assert.Single(config!.Connections).Fragmentation);
    }

    [Theory]
    [InlineData("fragmentation = maybe")]
    [InlineData("fragmentation = true")]
    public void An_unknown_value_names_file_line_and_key(string line)
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = Load(Connection(line));
        Assert.Null(config);
        ConfigError e = Assert.Single(errors);
        Assert.Equal((Main, 3, "connections.c.fragmentation"), (e.File, e.Line, e.Key));
        Assert.Contains("yes, accept, force or no", e.Message);
    }
}
