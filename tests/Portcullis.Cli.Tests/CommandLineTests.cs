using Portcullis.Cli;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Cli.Tests;

public class CommandLineTests
{
    private static (int Status, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Theory]
    [InlineData("--version")]
    [InlineData("-V")]
    [InlineData("version")]
    public void Version_prints_one_line_with_the_program_name(string flag)
    {
        var (status, output, error) = Run(flag);
        Assert.Equal(0, status);
        Assert.Matches(@"^portcullis \d+\.\d+\.\d+\n$", output.Replace("\r", ""));
        Assert.Empty(error);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public void Help_goes_to_stdout_and_names_the_commands(string flag)
    {
        var (status, output, _) = Run(flag);
        Assert.Equal(0, status);
        Assert.Contains("Usage: portcullis", output);
        Assert.Contains("algorithms", output);
    }

    [Fact]
    public void No_arguments_or_an_unknown_command_is_a_usage_error_on_stderr()
    {
        var (status, output, error) = Run();
        Assert.Equal(CommandLine.UsageError, status);
        Assert.Empty(output);
        Assert.Contains("Usage:", error);

        (status, output, error) = Run("frobnicate");
        Assert.Equal(2, status);
        Assert.Empty(output);
        Assert.Contains("unknown command 'frobnicate'", error);
    }

    [Fact]
    public void Algorithms_lists_every_transform_with_id_keyword_kind_and_default()
    {
        var (status, output, _) = Run("algorithms");
        Assert.Equal(0, status);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("TYPE", lines[0]);
        foreach (Transform t in TransformRegistry.All)
        {
            string[] row = lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Single(cells => cells.Length > 3 && cells[3] == t.Keyword && cells[0] != "AUTH");
            Assert.Equal(t.Id.ToString(), row[1]);
            Assert.Contains(t.Kind, row);
            Assert.Equal(t.Legacy ? "no" : "yes", row[^(t.Legacy ? 2 : 1)]);
        }
        Assert.Contains(lines, l => l.StartsWith("ENCR") && l.Contains("aes256gcm16") && l.EndsWith("yes"));
        Assert.Contains(lines, l => l.StartsWith("KE") && l.Contains("modp1024") && l.EndsWith("no (legacy)"));
        Assert.Contains(lines, l => l.StartsWith("AUTH") && l.Contains("ecdsa-sha384"));
    }

    [Fact]
    public void Algorithms_filters_legacy_and_default()
    {
        var (_, legacy, _) = Run("algorithms", "--legacy");
        var (_, defaults, _) = Run("algorithms", "--default");
        Assert.Contains("3des", legacy);
        Assert.DoesNotContain("aes128gcm16", legacy);
        Assert.Contains("aes128gcm16", defaults);
        Assert.DoesNotContain("blowfish", defaults);

        var (status, _, error) = Run("algorithms", "--bogus");
        Assert.Equal(2, status);
        Assert.Contains("--bogus", error);
    }

    [Fact]
    public void Compat_profiles_prints_each_clients_proposals_in_strongswan_notation()
    {
        var (status, output, _) = Run("compat-profiles");
        Assert.Equal(0, status);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("PROFILE", lines[0]);
        Assert.Equal(1 + 2 * Portcullis.Core.Config.NativeClientProfiles.All.Count, lines.Length);
        string[] windowsIke = lines.Single(l => l.StartsWith("windows ") && l.Contains(" ike ")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("3des-sha1-modp1024,3des-sha256-modp1024,", windowsIke[2]);
        Assert.Contains(lines, l => l.StartsWith("android ") && l.Contains(" esp  aes256ctr-aes256-"));

        (status, output, _) = Run("compat-profiles", "macos-ios");
        Assert.Equal(0, status);
        Assert.Equal(3, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var (bad, _, error) = Run("compat-profiles", "win95");
        Assert.Equal(2, bad);
        Assert.Contains("unknown profile 'win95'", error);
    }
}
