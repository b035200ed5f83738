using Portcullis.Cli;

namespace Portcullis.Cli.Tests;

/// <summary>The daemon and control commands' argument handling, without a running daemon.</summary>
public class DaemonCommandTests
{
    private static (int Status, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Theory]
    [InlineData("initiate")]
    [InlineData("terminate")]
    public void A_command_without_its_required_name_is_a_usage_error(string command)
    {
        var (status, _, error) = Run(command, "--socket", "/nonexistent/portcullis.sock");
        Assert.Equal(CommandLine.UsageError, status);
        Assert.Contains(command == "initiate" ? "--child NAME is required" : "--ike NAME is required", error);
    }

    [Theory]
    [InlineData("list-sas", "--bogus")]
    [InlineData("initiate", "--ike")]
    [InlineData("daemon", "--bogus")]
    public void Unknown_options_are_usage_errors(string command, string option)
    {
        var (status, _, error) = Run(command, option, "x");
        Assert.Equal(CommandLine.UsageError, status);
        Assert.Contains("unknown option", error);
    }

    [Fact]
    public void Talking_to_no_daemon_says_so_and_fails()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"portcullis-none-{Guid.NewGuid():N}.sock");
        var (status, output, error) = Run("list-sas", "--socket", socket);
        Assert.Equal(1, status);
        Assert.Empty(output);
        Assert.Contains("daemon", error);
    }

    [Fact]
    public void The_daemon_refuses_a_bad_configuration_with_file_line_and_key()
    {
        string dir = Directory.CreateTempSubdirectory("portcullis-cli-").FullName;
        try
        {
            string conf = Path.Combine(dir, "swanctl.conf");
            File.WriteAllText(conf, "connections {\n  gw {\n    unique = replace\n  }\n}\n");
            var (status, output, _) = Run("daemon", "--config", conf, "--socket", Path.Combine(dir, "s.sock"), "--tun", "pctest0");
            Assert.Equal(1, status);
            Assert.Contains($"{conf}:3: connections.gw.unique:", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_daemon_refuses_a_missing_or_bad_settings_file_with_file_line_and_key()
    {
        string dir = Directory.CreateTempSubdirectory("portcullis-cli-").FullName;
        try
        {
            string conf = Path.Combine(dir, "swanctl.conf"), settings = Path.Combine(dir, "strongswan.conf");
            File.WriteAllText(conf, "");
            var (status, output, _) = Run("daemon", "--config", conf, "--settings", settings, "--socket", Path.Combine(dir, "s.sock"), "--tun", "pctest0");
            Assert.Equal(1, status);
            Assert.Contains($"{settings}: cannot read the file", output);

            File.WriteAllText(settings, "charon {\n  plugins {\n  }\n  fragment_size = tiny\n}\n");
            (status, output, _) = Run("daemon", "--config", conf, "--settings", settings, "--socket", Path.Combine(dir, "s.sock"), "--tun", "pctest0");
            Assert.Equal(1, status);
            Assert.Contains($"{settings}:4: charon.fragment_size:", output);
            Assert.Contains($"{settings}:2: charon.plugins: ignored", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Help_lists_the_daemon_commands()
    {
        var (_, output, _) = Run("--help");
        foreach (string command in (string[])["daemon", "--settings FILE", "load-all", "initiate --child", "terminate --ike", "list-sas", "list-conns"])
            Assert.Contains(command, output);
    }
}
