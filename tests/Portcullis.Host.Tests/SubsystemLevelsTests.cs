using Microsoft.Extensions.Logging;
using Portcullis.Host.Daemon;

namespace Portcullis.Host.Tests;

public sealed class SubsystemLevelsTests
{
    [Fact]
    public void Parses_strongswan_numbers_words_aliases_and_default()
    {
        Assert.True(SubsystemLevels.TryParse("ike=2, knl=0,cfg=-1,ppp=trace,default=1", out var levels, out LogLevel? fallback, out string? error), error);
        Assert.Equal(LogLevel.Debug, levels["ike"]);
        Assert.Equal(LogLevel.Warning, levels["esp"]);
        Assert.Equal(LogLevel.None, levels["daemon"]);
        Assert.Equal(LogLevel.Trace, levels["ppp"]);
        Assert.Equal(LogLevel.Information, fallback);
    }

    [Theory]
    [InlineData("ike", "not SUBSYSTEM=LEVEL")]
    [InlineData("ike=9", "not a log level")]
    [InlineData("tls=1", "unknown subsystem 'tls'")]
    public void Refuses_what_it_cannot_read(string text, string expected)
    {
        Assert.False(SubsystemLevels.TryParse(text, out _, out _, out string? error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Each_subsystem_logs_at_its_own_level()
    {
        var output = new StringWriter();
        var provider = new LineLoggerProvider(output, LogLevel.Information, timestamps: false,
            new Dictionary<string, LogLevel> { ["ike"] = LogLevel.Debug, ["esp"] = LogLevel.Warning });
        ILogger ike = provider.CreateLogger("ike"), esp = provider.CreateLogger("esp"), daemon = provider.CreateLogger("daemon");
        ike.LogDebug("ike debug");
        esp.LogInformation("esp info");
        esp.LogWarning("esp warning");
        daemon.LogDebug("daemon debug");
        daemon.LogInformation("daemon info");
        Assert.Equal("DEBUG ike: ike debug\nWARN  esp: esp warning\nINFO  daemon: daemon info\n", output.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Settings_numbers_map_to_categories_with_the_most_verbose_winning()
    {
        (Dictionary<string, LogLevel> levels, LogLevel? fallback) = SubsystemLevels.FromNumbers(
            new Dictionary<string, int> { ["default"] = 0, ["cfg"] = -1, ["net"] = 2, ["ike"] = 1, ["knl"] = 3, ["tls"] = 4 });
        Assert.Equal(LogLevel.Warning, fallback);
        Assert.Equal(LogLevel.Debug, levels["daemon"]);
        Assert.Equal(LogLevel.Information, levels["ike"]);
        Assert.Equal(LogLevel.Trace, levels["esp"]);
        Assert.Equal(3, levels.Count);
    }

    [Fact]
    public void Levels_set_after_a_logger_was_created_apply_to_it()
    {
        var output = new StringWriter();
        var provider = new LineLoggerProvider(output, LogLevel.Information, timestamps: false);
        ILogger ike = provider.CreateLogger("ike");
        ike.LogDebug("hidden");
        provider.SetLevels(new Dictionary<string, LogLevel> { ["ike"] = LogLevel.Debug }, LogLevel.Warning);
        ike.LogDebug("shown");
        provider.CreateLogger("daemon").LogInformation("hidden too");
        Assert.Equal("DEBUG ike: shown\n", output.ToString().ReplaceLineEndings("\n"));
    }
}
