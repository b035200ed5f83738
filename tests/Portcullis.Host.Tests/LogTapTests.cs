using Microsoft.Extensions.Logging;
using Portcullis.Host.Daemon;

namespace Portcullis.Host.Tests;

public sealed partial class LogTapTests
{
    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] no proposal chosen: received {Received}")]
    private static partial void NoProposal(ILogger logger, string conn, uint uid, string received);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "{Conn}[{Uid}] established")]
    private static partial void Established(ILogger logger, string conn, uint uid);

    [Fact]
    public void Lines_reach_the_inner_logger_and_the_observer_with_strongswan_groups_and_fields()
    {
        var output = new StringWriter();
        using var inner = new LineLoggerFactory(new LineLoggerProvider(output, LogLevel.Information, timestamps: false));
        var lines = new List<LogTapLine>();
        var tap = new LogTapFactory(inner) { Observer = lines.Add };
        ILogger ike = tap.CreateLogger("ike");
        NoProposal(ike, "gw", 3, "aes128gcm16-prfsha256-ecp256");
        Established(ike, "gw", 4);
        ike.LogDebug("not for anyone at this level");

        Assert.Equal("WARN  ike: gw[3] no proposal chosen: received aes128gcm16-prfsha256-ecp256 | Conn=gw Uid=3\nINFO  ike: gw[4] established | Conn=gw Uid=4\n",
            output.ToString().ReplaceLineEndings("\n"));
        Assert.Equal(2, lines.Count);
        LogTapLine warning = lines[0];
        Assert.Equal((0, "IKE", "gw", "3", 102), (warning.Level, warning.Group, warning.Conn, warning.Uid, warning.EventId));
        Assert.Equal("aes128gcm16-prfsha256-ecp256", warning.Fields["Received"]);
        Assert.Equal((1, "gw[4] established"), (lines[1].Level, lines[1].Message));
        Assert.Empty(lines[1].Fields);
    }

    [Theory]
    [InlineData("ike", "IKE")]
    [InlineData("esp", "ESP")]
    [InlineData("daemon", "DMN")]
    [InlineData("Portcullis.Something.l2tp", "L2T")]
    [InlineData("xy", "XY")]
    public void Categories_map_to_strongswan_groups(string category, string group) => Assert.Equal(group, LogTapFactory.Group(category));
}
