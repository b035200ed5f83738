using Portcullis.Host.Tun;

namespace Portcullis.Host.Tests;

public sealed class IpCommandTests
{
    private static int? Device(string name) => name switch { "veth0" => 1500, "pcl0" => 1400, _ => null };

    [Fact]
    public void Path_mtu_is_the_cached_mtu_of_ip_route_get()
    {
        const string v4 = "198.18.2.1 dev pcl0 src 198.18.1.1 uid 0 \n    cache expires 595sec mtu 1390 \n";
        const string v6 = "2001:db8:200::1 from :: dev pcl0 src 2001:db8:100::1 metric 1024 expires 592sec mtu 1390 pref medium\n";
        Assert.Equal(1390, IpCommand.ParsePathMtu(v4, Device));
        Assert.Equal(1390, IpCommand.ParsePathMtu(v6, Device));
        Assert.Equal(1280, IpCommand.ParsePathMtu("192.0.2.2 dev veth0 src 192.0.2.1 uid 0 \n    cache mtu lock 1280\n", Device));
    }

    [Fact]
    public void Without_an_mtu_on_the_route_the_outgoing_device_mtu_counts()
    {
        Assert.Equal(1500, IpCommand.ParsePathMtu("2001:db8:1::2 from :: dev veth0 proto kernel src 2001:db8:1::1 metric 256 pref medium\n", Device));
        Assert.Equal(1400, IpCommand.ParsePathMtu("198.18.2.1 dev pcl0 src 198.18.1.1 uid 0 \n    cache \n", Device));
        Assert.Null(IpCommand.ParsePathMtu("192.0.2.9 dev unknown0 src 192.0.2.1\n", Device));
        Assert.Null(IpCommand.ParsePathMtu("", Device));
    }
}
