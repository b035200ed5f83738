using Portcullis.Core.Config;

namespace Portcullis.Core.Tests.Config;

/// <summary>The example configuration installed with Portcullis must load as it is.</summary>
public sealed class ShippedExampleTests
{
    [Fact]
    public void PackagingExampleLoads()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Portcullis.slnx"))) dir = Path.GetDirectoryName(dir);
        Assert.NotNull(dir);
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(Path.Combine(dir, "packaging/swanctl.conf.example"));
        Assert.Empty(errors);
        ConnectionConfig conn = Assert.Single(config!.Connections);
        Assert.Equal("site-b", conn.Name);
        Assert.Equal("aes256gcm16-prfsha384-ecp384", conn.Proposals.Single().ToString());
        Assert.Equal(StartAction.Start, conn.Children.Single().StartAction);
        Assert.Equal(TimeSpan.FromSeconds(30), conn.DpdDelay);
        Assert.Equal(CloseAction.Start, conn.Children.Single().DpdAction);
        Assert.NotNull(config.FindSharedSecret(conn.Local.Id!, conn.Remote.Id!));
    }
}
