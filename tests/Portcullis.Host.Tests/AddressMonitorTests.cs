using System.Collections.Concurrent;
using System.Net;
using Portcullis.Host.Net;

namespace Portcullis.Host.Tests;

/// <summary>The netlink address monitor MOBIKE uses, inside a network namespace of its own.</summary>
public sealed class AddressMonitorTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [RootFact]
    public void Reports_the_whole_new_list_once_per_change_without_loopback_or_the_ignored_interface()
    {
        RootEnvironment.Require();
        using var ns = new NetworkNamespace();
        ns.Ip("link", "set", "lo", "up");
        // Removing the first address of a subnet keeps the others only with promote_secondaries (off in a new namespace).
        ns.Run(() => File.WriteAllText("/proc/sys/net/ipv4/conf/all/promote_secondaries", "1"));
        ns.Ip("address", "add", "198.18.1.1/32", "dev", "lo");
        ns.Ip("link", "add", "pcva", "type", "veth", "peer", "name", "pcvb");
        ns.Ip("link", "set", "pcva", "up");
        ns.Ip("link", "set", "pcvb", "up");
        ns.Ip("address", "add", "192.0.2.10/24", "dev", "pcva");
        ns.Ip("address", "add", "203.0.113.5/24", "dev", "pcvb");

        var changes = new BlockingCollection<IReadOnlyList<IPAddress>>();
        var errors = new ConcurrentQueue<Exception>();
        using AddressMonitor monitor = ns.Run(() => AddressMonitor.Start("pcvb", changes.Add, errors.Enqueue));
        Assert.Equal([IPAddress.Parse("192.0.2.10")], monitor.Addresses);

        // An address added and the old one removed: the settled list is reported (on a slow machine the list in
        // between may come first, as its own change).
        ns.Ip("address", "add", "192.0.2.11/24", "dev", "pcva");
        ns.Ip("address", "del", "192.0.2.10/24", "dev", "pcva");
        IReadOnlyList<IPAddress> list = Next(changes, "192.0.2.11");
        Assert.Equal(list, monitor.Addresses);

        // Addresses on loopback and on the ignored interface are not ours to move to, and are not reported.
        ns.Ip("address", "add", "198.18.1.2/32", "dev", "lo");
        ns.Ip("address", "add", "203.0.113.6/24", "dev", "pcvb");
        Assert.False(changes.TryTake(out _, TimeSpan.FromMilliseconds(500)));

        ns.Ip("address", "add", "198.51.100.7/24", "dev", "pcva");
        Assert.True(changes.TryTake(out list!, Wait), "no change reported");
        Assert.Equal([IPAddress.Parse("192.0.2.11"), IPAddress.Parse("198.51.100.7")], list);
        Assert.Empty(errors);
    }

    /// <summary>Takes reported lists until one is exactly <paramref name="expected"/>.</summary>
    private static IReadOnlyList<IPAddress> Next(BlockingCollection<IReadOnlyList<IPAddress>> changes, params string[] expected)
    {
        IPAddress[] want = expected.Select(IPAddress.Parse).ToArray();
        var seen = new List<string>();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (deadline.Elapsed < Wait && changes.TryTake(out IReadOnlyList<IPAddress>? list, Wait - deadline.Elapsed))
        {
            if (list.SequenceEqual(want)) return list;
            seen.Add(string.Join(",", list));
        }
        throw new Xunit.Sdk.XunitException($"no change to [{string.Join(",", expected)}] reported; saw [{string.Join("] [", seen)}]");
    }
}
