using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Ipsec;
using Portcullis.Host.Tun;

namespace Portcullis.Host.Daemon;

/// <summary>
/// Brings a transport-mode peer's traffic to the TUN device without catching the daemon's own packets to that same
/// address, as strongSwan does for routed policies (its routing table 220 and fwmarks): the peer's host route goes
/// into a table of its own (<see cref="Table"/>, via the TUN device with our address as source), and one policy rule
/// per selector pair sends the matching traffic there (<c>ip rule add priority P to PEER [ipproto X] [sport …] [dport …]
/// fwmark 0/M lookup T</c>), except packets whose mark has the bits <see cref="Mark"/>: the daemon puts that mark on
/// its IKE and ESP sockets (SO_MARK), so its UDP 500/4500 and protocol 50 packets keep the main table. Rules and routes
/// are counted (a rekey, two CHILD SAs with one peer, a trap and its CHILD SA share them), each removed with its last
/// user and all on exit; leftovers of a daemon that died are cleared at start (only rules with our priority and table,
/// only routes in our table through our TUN device). Tunnel-mode routes stay in the main table, untouched.
/// </summary>
internal sealed class TransportRouting : IDisposable
{
    private readonly string _tun;
    private readonly ILogger _logger;
    // key → (users, the arguments that remove it)
    private readonly Dictionary<string, (int Users, string[] Delete)> _installed = [];

    public TransportRouting(string tun, int table, int priority, uint mark, ILogger logger)
    {
        _tun = tun;
        Table = table;
        Priority = priority;
        Mark = mark;
        _logger = logger;
    }

    /// <summary>The routing table of transport-mode peers (<c>charon.routing_table</c>).</summary>
    public int Table { get; }

    /// <summary>The priority of the rules that look it up (<c>charon.routing_table_prio</c>).</summary>
    public int Priority { get; }

    /// <summary>The mark bits of the daemon's own packets (<c>--fwmark</c>); packets with them skip the rules.</summary>
    public uint Mark { get; }

    private string T => Table.ToString(CultureInfo.InvariantCulture);
    private string P => Priority.ToString(CultureInfo.InvariantCulture);
    private string MarkMatch => $"0x0/0x{Mark:x}";

    /// <summary>Removes what a previous daemon left behind (it died without cleaning up).</summary>
    public void ClearStale()
    {
        foreach (string family in (string[])["-4", "-6"])
        {
            // One rule per call; a hundred is more than any leftover set, and a failure means none is left.
            for (int i = 0; i < 100 && IpCommand.Run([family, "rule", "del", "priority", P, "lookup", T]).Ok; i++) { }
            IpCommand.Run([family, "route", "flush", "table", T, "dev", _tun]);
        }
    }

    /// <summary>
    /// Installs (or counts another user of) the route and rules for traffic from <paramref name="local"/> to
    /// <paramref name="remote"/>, which are host selectors (other ranges are routed as their prefixes). Returns the
    /// keys to <see cref="Release"/>.
    /// </summary>
    public IReadOnlyList<string> Add(IReadOnlyList<TrafficSelector> local, IReadOnlyList<TrafficSelector> remote)
    {
        var keys = new List<string>();
        foreach (TrafficSelector r in remote)
        {
            TrafficSelector[] sameFamily = [.. local.Where(l => l.Family == r.Family)];
            if (sameFamily.Length == 0) continue;
            string family = r.Family == AddressFamily.InterNetworkV6 ? "-6" : "-4";
            IPAddress? source = sameFamily.Length == 1 && sameFamily[0].StartAddress.Equals(sameFamily[0].EndAddress) ? sameFamily[0].StartAddress : null;
            foreach ((IPAddress network, int length) in r.Prefixes())
            {
                string prefix = $"{network}/{length}";
                string[] route = source is null ? ["route", "replace", prefix, "dev", _tun, "table", T]
                    : ["route", "replace", prefix, "dev", _tun, "src", source.ToString(), "table", T];
                Take([family, .. route], [family, "route", "del", prefix, "dev", _tun, "table", T], keys);
                foreach (TrafficSelector l in sameFamily)
                {
                    if (RuleSelectors(l, r) is not { } selectors) continue;
                    string[] rule = ["priority", P, "to", prefix, .. selectors, "fwmark", MarkMatch, "lookup", T];
                    Take([family, "rule", "add", .. rule], [family, "rule", "del", .. rule], keys);
                }
            }
        }
        return keys;
    }

    /// <summary>
    /// The rule's protocol and ports for outbound traffic from <paramref name="local"/> to <paramref name="remote"/>:
    /// the source port is the local selector's, the destination port the remote one's; null when the two selectors
    /// name different protocols (no packet matches both).
    /// </summary>
    internal static string[]? RuleSelectors(TrafficSelector local, TrafficSelector remote)
    {
        if (local.Protocol != 0 && remote.Protocol != 0 && local.Protocol != remote.Protocol) return null;
        byte protocol = Math.Max(local.Protocol, remote.Protocol);
        if (protocol == 0) return [];
        var words = new List<string> { "ipproto", protocol.ToString(CultureInfo.InvariantCulture) };
        // Ports only where the kernel reads them (the selectors of ICMP carry type and code there instead).
        if (protocol is 6 or 17 or 132 or 33)
        {
            if (Range(local) is { } sport) { words.Add("sport"); words.Add(sport); }
            if (Range(remote) is { } dport) { words.Add("dport"); words.Add(dport); }
        }
        return [.. words];
    }

    private static string? Range(TrafficSelector ts) =>
        ts.StartPort == 0 && ts.EndPort == 65535 ? null
        : ts.StartPort == ts.EndPort ? ts.StartPort.ToString(CultureInfo.InvariantCulture)
        : $"{ts.StartPort}-{ts.EndPort}";

    private void Take(string[] add, string[] delete, List<string> keys)
    {
        string key = string.Join(' ', add);
        lock (_installed)
        {
            if (_installed.TryGetValue(key, out var entry))
            {
                _installed[key] = (entry.Users + 1, entry.Delete);
                keys.Add(key);
                return;
            }
            IpResult result = IpCommand.Run(add);
            if (!result.Ok)
            {
                DaemonLog.Failure(_logger, $"transport-mode routing (ip {key})", result.ToString());
                return;
            }
            _installed[key] = (1, delete);
            keys.Add(key);
        }
    }

    /// <summary>Drops one user of each key; the last user's release removes the rule or route.</summary>
    public void Release(IEnumerable<string> keys)
    {
        lock (_installed)
        {
            foreach (string key in keys)
            {
                if (!_installed.TryGetValue(key, out var entry)) continue;
                if (entry.Users > 1) { _installed[key] = (entry.Users - 1, entry.Delete); continue; }
                _installed.Remove(key);
                IpCommand.Run(entry.Delete);
            }
        }
    }

    /// <summary>Removes every rule and route still installed (rules first, so nothing is routed to a missing route).</summary>
    public void Dispose()
    {
        lock (_installed)
        {
            foreach (KeyValuePair<string, (int Users, string[] Delete)> e in _installed.OrderBy(e => e.Key.Contains(" rule ", StringComparison.Ordinal) ? 0 : 1).ToArray())
                IpCommand.Run(e.Value.Delete);
            _installed.Clear();
        }
    }
}
