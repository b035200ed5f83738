using System.Net;
using System.Net.Sockets;
using System.Text;
using Portcullis.Core.Config;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Firewall;

/// <summary>
/// Works out which packets a loaded configuration needs let in, and why: the decisions behind
/// <c>portcullis firewall</c>, with no I/O (config and options in, a <see cref="FirewallPlan"/> out).
/// <list type="bullet">
/// <item>UDP 500 (IKE) always; UDP 4500 always too, since any NAT on the path moves IKE and ESP there (RFC 7296
/// §2.23, RFC 3947, RFC 3948) and MOBIKE moves IKE there even without one.</item>
/// <item>IP protocol 50 only for connections that may carry ESP unencapsulated: not with <c>encap = yes</c>, and not
/// behind a NAT front (both sides then detect the NAT and encapsulate).</item>
/// <item>IP protocol 51 only for children with <c>ah_proposals</c>.</item>
/// <item>UDP 1701 never from outside: L2TP arrives inside ESP and the daemon decrypts and consumes it itself; the
/// kernel's IPsec policy match (<c>meta secpath</c>, <c>-m policy</c>) cannot see SAs of a user-space data plane, so a
/// rule "1701 only when IPsec-protected" would never match.</item>
/// <item>Decrypted traffic comes out of the TUN device: let it in and through for the children's selectors, and let
/// the local side reach the remote one; masquerade the IPv4 pools' addresses out of the outgoing interface.</item>
/// <item>IPv6 pools are not masqueraded: a routed prefix is how IPv6 reaches clients (the administrator routes the pool
/// to the gateway), every client keeps a global address, and an L2TP client's delegated /64 stays end to end. NAT66
/// only with <see cref="FirewallOptions.Nat66"/> (<c>--nat66</c>), for a host whose upstream gives it one /64 or
/// address and routes nothing to it.</item>
/// </list>
/// Peers are matched by their configured addresses (literal <c>remote_addrs</c>), any address for road warriors.
/// </summary>
public static class FirewallPlanner
{
    private const int CommentLimit = 120; // nftables keeps at most 128 bytes of a comment

    /// <summary>The ruleset for <paramref name="config"/>.</summary>
    public static FirewallPlan Plan(PortcullisConfig config, FirewallOptions options) =>
        options.Front ? PlanFront(config, options) : PlanServer(config, options);

    private sealed class Builder
    {
        private readonly List<(FirewallRule Rule, string What, List<string> Owners)> _rules = [];

        // Identical matches for several connections become one rule naming them all.
        public void Add(FirewallRule rule, string what, string? owner = null)
        {
            foreach (var r in _rules)
            {
                if (!r.Rule.SameMatch(rule) || r.What != what) continue;
                if (owner is not null && !r.Owners.Contains(owner)) r.Owners.Add(owner);
                return;
            }
            _rules.Add((rule, what, owner is null ? [] : [owner]));
        }

        public List<FirewallRule> Build() => _rules.Select(r => r.Rule with { Comment = Comment(r.What, r.Owners) }).ToList();

        private static string Comment(string what, List<string> owners)
        {
            if (owners.Count == 0) return Trim(what);
            string text = $"{what} ({string.Join(", ", owners)})";
            if (Encoding.UTF8.GetByteCount(text) <= CommentLimit) return text;
            return Trim($"{what} ({owners[0]} and {owners.Count - 1} more)");
        }

        private static string Trim(string text) => Encoding.UTF8.GetByteCount(text) <= CommentLimit ? text : text[..(CommentLimit - 3)] + "...";
    }

    private static FirewallPlan PlanServer(PortcullisConfig config, FirewallOptions options)
    {
        var b = new Builder();
        var notes = new List<string>();
        var explanation = new List<(string, IReadOnlyList<string>)>();
        string tun = options.TunName;
        bool natFront = options.NatFront is not null;

        // --- basics, in the order they must match ---
        b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, Special = FirewallSpecial.Loopback, Comment = "" },
            "loopback: local services talk to each other");
        if (config.L2tp is not null)
        {
            // Before the conntrack rule: a cleartext L2TP packet must never pass as a "reply".
            b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Drop, Protocol = 17, DestinationPort = (1701, 1701), Comment = "" },
                "L2TP in the clear: only inside IPsec, which the daemon decrypts itself");
        }
        b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Drop, Special = FirewallSpecial.Invalid, Comment = "" },
            "conntrack: packets belonging to no valid flow");
        b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, Special = FirewallSpecial.Established, Comment = "" },
            "conntrack: replies to what this host sent");
        b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, Special = FirewallSpecial.Icmp, Comment = "" },
            "ICMP: unreachable/frag-needed (path MTU for ESP), time exceeded, ping");
        b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, Special = FirewallSpecial.Icmpv6, Comment = "" },
            "ICMPv6: neighbour discovery, packet too big (path MTU for ESP), ping");
        foreach ((byte protocol, ushort port) in options.Allow)
            b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, Protocol = protocol, DestinationPort = (port, port), Comment = "" },
                $"service {ProtocolName(protocol)}/{port} (allowed with --allow)");

        // --- IKE, NAT-T, ESP, AH per connection ---
        var forwards = new List<(FirewallRule Rule, string What, string Owner)>();
        var masquerades = new List<(TrafficSelector Pool, string What, string Owner)>();
        bool anyHostname = false;
        foreach (ConnectionConfig c in config.Connections)
        {
            var lines = new List<string>();
            (List<TrafficSelector?> peers, List<string> hostnames) = Addresses(c.RemoteAddrs);
            (List<TrafficSelector?> locals, _) = Addresses(c.LocalAddrs);
            anyHostname |= hostnames.Count > 0;
            string peerText = peers.All(p => p is null) ? "any address" : string.Join(", ", peers.Where(p => p is not null));
            string version = c.Version switch { 1 => "IKEv1", 2 => "IKEv2", _ => "IKEv1/IKEv2" };
            lines.Add($"{version}; peers: {(c.RemoteAddrs.Count == 0 ? "any (remote_addrs unset)" : string.Join(", ", c.RemoteAddrs))}; " +
                $"local addresses: {(c.LocalAddrs.Count == 0 ? "any (local_addrs unset)" : string.Join(", ", c.LocalAddrs))}.");
            if (hostnames.Count > 0)
                lines.Add($"remote_addrs names host(s) {string.Join(", ", hostnames)}: a ruleset cannot follow DNS, so their rules accept any source address.");
            bool plainEsp = !c.Encap && !natFront;
            bool ah = c.Children.Any(ch => ch.AhProposals.Count > 0);
            foreach (TrafficSelector? peer in peers)
            {
                foreach (TrafficSelector? local in locals)
                {
                    if (peer is { } p && local is { } l && p.Family != l.Family) continue;
                    string from = peer is null ? "any peer" : peer.ToString()!;
                    b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, Protocol = 17, DestinationPort = ((ushort)options.IkePort, (ushort)options.IkePort), Source = peer, Destination = local, Comment = "" },
                        $"IKE (UDP {options.IkePort}) from {from}", c.Name);
                    b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, Protocol = 17, DestinationPort = ((ushort)options.NatTraversalPort, (ushort)options.NatTraversalPort), Source = peer, Destination = local, Comment = "" },
                        $"NAT-T: IKE and ESP in UDP {options.NatTraversalPort} from {from}", c.Name);
                    if (plainEsp)
                        b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, Protocol = 50, Source = peer, Destination = local, Comment = "" },
                            $"ESP (IP proto 50) from {from}: no NAT in between", c.Name);
                    if (ah)
                        b.Add(new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, Protocol = 51, Source = peer, Destination = local, Comment = "" },
                            $"AH (IP proto 51) from {from}: ah_proposals", c.Name);
                }
            }
            lines.Add($"UDP {options.IkePort} from {peerText}: IKE starts there ({(c.Version == 1 ? "Main or Aggressive Mode" : "IKE_SA_INIT")}).");
            lines.Add($"UDP {options.NatTraversalPort} from {peerText}: when NAT detection finds a NAT, IKE moves there and ESP travels in UDP (RFC 3948)" +
                (c.Version != 1 && c.Mobike ? "; with mobike = yes the initiator moves IKE there even without a NAT" : "") +
                (c.Version == 1 ? " (RFC 3947 NAT-T)" : "") + ".");
            if (plainEsp) lines.Add($"IP protocol 50 from {peerText}: without a NAT, ESP goes as plain IP protocol 50 (unless encap = yes).");
            else if (c.Encap) lines.Add("No IP protocol 50: encap = yes makes both sides put ESP in UDP 4500.");
            else lines.Add($"No IP protocol 50: behind the NAT front {options.NatFront} both sides detect the NAT and put ESP in UDP 4500.");
            if (ah) lines.Add($"IP protocol 51 from {peerText}: a child has ah_proposals (AH tunnel mode, IPv4).");

            foreach (ChildConfig child in c.Children)
            {
                if (child.Mode == ChildMode.Transport && config.L2tp is not null && child.LocalTs.Any(t => t.Protocol == 17 && t.StartPort <= 1701 && t.EndPort >= 1701))
                {
                    lines.Add($"child {child.Name} (transport, L2TP): L2TP inside the SA is decrypted and consumed by the daemon; nothing reaches {tun} or the kernel's UDP 1701.");
                    continue;
                }
                // Any other transport-mode child carries the hosts' own traffic, which enters through the TUN device like a tunnel's.
                // dynamic: our own address (local), the peer's address or, for a responder with pools, the virtual IPs (remote).
                IReadOnlyList<TrafficSelector?> localTs = child.LocalTs.Count > 0 ? child.LocalTs.Select(t => (TrafficSelector?)t).ToList() : locals;
                IReadOnlyList<TrafficSelector?> remoteTs = child.RemoteTs.Count > 0 ? child.RemoteTs.Select(t => (TrafficSelector?)t).ToList()
                    : c.Pools.Count > 0 ? PoolSelectors(config, c.Pools).Select(t => (TrafficSelector?)t).ToList()
                    : peers;
                string owner = $"{c.Name}/{child.Name}";
                foreach (TrafficSelector? r in remoteTs)
                {
                    foreach (TrafficSelector? l in localTs)
                    {
                        if (r is { } rr && l is { } ll && rr.Family != ll.Family) continue;
                        if (!TryJoinProtocol(r, l, out byte protocol)) continue;
                        var inbound = new FirewallRule
                        {
                            Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, InInterface = tun, Protocol = protocol,
                            Source = AddressOnly(r), Destination = AddressOnly(l), SourcePort = Ports(r, protocol), DestinationPort = Ports(l, protocol), Comment = "",
                        };
                        string what = $"decrypted from tunnel: {Text(r)} to {Text(l)}";
                        b.Add(inbound, what, owner);
                        forwards.Add((inbound with { Chain = FirewallChain.Forward }, what, owner));
                        forwards.Add((new FirewallRule
                        {
                            Chain = FirewallChain.Forward, Verdict = FirewallVerdict.Accept, OutInterface = tun, Protocol = protocol,
                            Source = AddressOnly(l), Destination = AddressOnly(r), SourcePort = Ports(l, protocol), DestinationPort = Ports(r, protocol), Comment = "",
                        }, $"into tunnel: {Text(l)} to {Text(r)}", owner));
                    }
                }
                lines.Add($"child {child.Name} ({(child.Mode == ChildMode.Transport ? "transport" : "tunnel")}, {string.Join(", ", localTs.Select(Text))} === {string.Join(", ", remoteTs.Select(Text))}): " +
                    $"decrypted packets come out of {tun}; they are let in (to this host) and forwarded (to the networks behind it), and the local side may send into the tunnel.");
            }
            foreach (string pool in c.Pools)
            {
                bool v6 = false;
                foreach (TrafficSelector sel in PoolSelectors(config, [pool]))
                {
                    v6 |= sel.Family == AddressFamily.InterNetworkV6;
                    if (Masqueraded(sel, options)) masquerades.Add((sel, $"masquerade pool {pool} ({sel})", c.Name));
                }
                lines.Add(v6 && !options.Nat66 ? NotMasqueraded($"pool {pool}", PoolSelectors(config, [pool])) :
                    $"pool {pool}: the clients' virtual IPs are masqueraded when they leave {(options.Interface is null ? $"by any interface but {tun}" : $"by {options.Interface}")}, so replies find their way back" +
                    (v6 ? " (IPv6 too: --nat66)." : "."));
            }
            explanation.Add(($"connection {c.Name}", lines));
        }

        if (config.L2tp is { } l2tp)
        {
            var lines = new List<string>
            {
                "The daemon binds UDP 1701 only to log and drop L2TP sent in the clear. Real L2TP arrives inside ESP (IP protocol 50 or UDP 4500) " +
                "on a transport-mode SA and is decrypted and consumed by the daemon itself; it never passes the kernel's UDP 1701 socket.",
                "So the ruleset drops UDP 1701 from outside, before the conntrack rule: the daemon's own check stays the protection, the firewall keeps the port closed to scans.",
            };
            foreach (TrafficSelector sel in PoolSelectors(config, l2tp.Pools))
            {
                var inbound = new FirewallRule { Chain = FirewallChain.Input, Verdict = FirewallVerdict.Accept, InInterface = tun, Source = sel, Comment = "" };
                b.Add(inbound, $"PPP clients {sel} (L2TP) out of {tun}", "l2tp");
                forwards.Add((inbound with { Chain = FirewallChain.Forward }, $"PPP clients {sel} (L2TP) out of {tun}", "l2tp"));
                forwards.Add((new FirewallRule { Chain = FirewallChain.Forward, Verdict = FirewallVerdict.Accept, OutInterface = tun, Destination = sel, Comment = "" },
                    $"to PPP clients {sel} (L2TP)", "l2tp"));
                if (Masqueraded(sel, options)) masquerades.Add((sel, $"masquerade PPP clients {sel} (L2TP)", "l2tp"));
            }
            List<TrafficSelector> l2tpSelectors = [.. PoolSelectors(config, l2tp.Pools)];
            bool l2tpV6 = l2tpSelectors.Any(t => t.Family == AddressFamily.InterNetworkV6), l2tpV4 = l2tpSelectors.Any(t => t.Family == AddressFamily.InterNetwork);
            if (l2tpV4 || (l2tpV6 && options.Nat66) || l2tpSelectors.Count == 0)
                lines.Add($"The PPP clients' addresses (pools {string.Join(", ", l2tp.Pools)}) route through {tun}: their traffic is let in and forwarded, and masqueraded on the way out" +
                    (l2tpV6 && !options.Nat66 ? " (IPv4 only)." : "."));
            else
                lines.Add($"The PPP clients' addresses (pools {string.Join(", ", l2tp.Pools)}) route through {tun}: their traffic is let in and forwarded.");
            if (l2tpV6 && !options.Nat66)
                lines.Add(NotMasqueraded("The PPP clients' IPv6 pool", l2tpSelectors.Where(t => t.Family == AddressFamily.InterNetworkV6)) +
                    " A pool shorter than /64 gives each PPP client a /64 of its own; route the whole pool.");
            explanation.Add(("L2TP (l2tp section)", lines));
        }

        // --- forwarding and NAT ---
        if (forwards.Count > 0)
        {
            b.Add(new FirewallRule { Chain = FirewallChain.Forward, Verdict = FirewallVerdict.Drop, Special = FirewallSpecial.Invalid, Comment = "" },
                "conntrack: packets belonging to no valid flow");
            b.Add(new FirewallRule { Chain = FirewallChain.Forward, Verdict = FirewallVerdict.Accept, Special = FirewallSpecial.Established, Comment = "" },
                "conntrack: replies in flows let through");
            foreach ((FirewallRule rule, string what, string owner) in forwards) b.Add(rule, what, owner);
        }
        foreach ((TrafficSelector pool, string what, string owner) in masquerades)
        {
            b.Add(new FirewallRule
            {
                Chain = FirewallChain.Postrouting, Verdict = FirewallVerdict.Masquerade, Source = pool,
                OutInterface = options.Interface ?? tun, OutInterfaceNot = options.Interface is null, Comment = "",
            }, what, owner);
        }

        notes.Add("Input and forward drop whatever no rule below accepts: add --allow tcp/22 (or your own rules) to keep SSH.");
        notes.Add($"Decrypted traffic comes out of the TUN device {tun}; the kernel never sees the SAs of Portcullis' user-space data plane,");
        notes.Add("so IPsec policy matches (nft 'meta secpath exists' / 'ipsec in', iptables '-m policy --pol ipsec') never match");
        notes.Add("its packets: rules here match the TUN device and the traffic selectors instead.");
        if (config.L2tp is not null)
            notes.Add("L2TP: UDP 1701 is dropped from outside; L2TP inside ESP/UDP 4500 is decrypted and checked by the daemon itself.");
        if (natFront)
            notes.Add($"Behind the NAT front {options.NatFront}: ESP travels in UDP 4500, so IP protocol 50 stays closed; the front's DNAT rules: portcullis firewall --nat-front {options.NatFront} --front.");
        if (anyHostname)
            notes.Add("Some remote_addrs are host names: their rules accept any source address.");
        if (config.Connections.Any(c => c.Children.Any(ch => ch.AhProposals.Count > 0)))
            notes.Add("AH (ah_proposals) is configured: AH tunnel mode over IPv4 (never across a NAT: AH cannot pass one).");
        if (!options.Nat66 && PoolSelectors(config, config.Connections.SelectMany(c => c.Pools).Concat(config.L2tp?.Pools ?? [])).Any(t => t.Family == AddressFamily.InterNetworkV6))
            notes.Add("IPv6 pools are not masqueraded (no NAT66): route them to this gateway on the upstream router; --nat66 masquerades them instead.");
        if (masquerades.Count > 0 || forwards.Count > 0)
            notes.Add("Forwarding for others needs net.ipv4.ip_forward=1 (and net.ipv6.conf.all.forwarding=1 for IPv6); portcullis doctor checks it.");

        var general = new List<string>
        {
            "Everything arriving at this host or routed through it is dropped unless a rule accepts it; what this host sends is not filtered, and answers to it come back through conntrack.",
            "Loopback, ICMP unreachable/fragmentation-needed (path MTU discovery matters with ESP's overhead), time exceeded and ping are accepted; for IPv6 also neighbour discovery and packet too big.",
            $"Portcullis' data plane runs in user space: ESP is decrypted by the daemon and written to {tun}. Packets written to a TUN device carry no IPsec " +
            "security path, so 'meta secpath exists' or '-m policy --pol ipsec' never match them (measured in the interop case 'firewall site'); " +
            $"the rules match the interface {tun} and the children's traffic selectors instead, which only the daemon can put packets on.",
        };
        explanation.Insert(0, ("this host", general));
        return new FirewallPlan { Rules = b.Build(), Notes = notes, Explanation = explanation };
    }

    private static FirewallPlan PlanFront(PortcullisConfig config, FirewallOptions options)
    {
        var errors = new List<string>();
        if (options.NatFront is null) errors.Add("--front needs --nat-front PUBLIC_ADDR");
        IPAddress? server = options.Server ?? config.Connections.Select(c => c.LocalAddress).FirstOrDefault(a => a is not null);
        if (server is null) errors.Add("--front needs this server's address: set local_addrs in the connections, or give --server ADDR");
        if (options.NatFront is { } pub && server is { } srv && pub.AddressFamily != srv.AddressFamily)
            errors.Add($"--nat-front {pub} and the server address {srv} are of different families");
        if (errors.Count > 0) return new FirewallPlan { Rules = [], Notes = [], Explanation = [], Errors = errors };

        var b = new Builder();
        TrafficSelector publicAddr = TrafficSelector.ForHost(options.NatFront!), serverAddr = TrafficSelector.ForHost(server!);
        foreach (int port in new[] { options.IkePort, options.NatTraversalPort })
        {
            string what = port == options.IkePort ? "IKE" : "NAT-T (IKE and ESP in UDP)";
            b.Add(new FirewallRule { Chain = FirewallChain.Prerouting, Verdict = FirewallVerdict.Dnat, Protocol = 17, Destination = publicAddr, DestinationPort = ((ushort)port, (ushort)port), DnatTo = server, Comment = "" },
                $"{what}: UDP {port} to {options.NatFront} goes to the VPN server {server}");
        }
        b.Add(new FirewallRule { Chain = FirewallChain.Forward, Verdict = FirewallVerdict.Accept, Special = FirewallSpecial.Established, Comment = "" },
            "conntrack: the server's answers and flows already let through");
        foreach (int port in new[] { options.IkePort, options.NatTraversalPort })
            b.Add(new FirewallRule { Chain = FirewallChain.Forward, Verdict = FirewallVerdict.Accept, Protocol = 17, Destination = serverAddr, DestinationPort = ((ushort)port, (ushort)port), Comment = "" },
                $"UDP {port} after DNAT to the VPN server {server}");
        var notes = new List<string>
        {
            $"For the NAT device in front of the VPN server {server}: peers use {options.NatFront}.",
            "Both sides detect this NAT, so ESP travels in UDP 4500: IP protocol 50 need not be forwarded.",
            $"These chains accept by default: they add to the front's own rules. The server's replies must route back through this device.",
        };
        if (config.Connections.Any(c => c.Children.Any(ch => ch.AhProposals.Count > 0)))
            notes.Add("AH cannot cross a NAT (its ICV covers the IP addresses): the AH children will not work behind it.");
        var lines = new List<string>
        {
            $"UDP {options.IkePort} and {options.NatTraversalPort} addressed to {options.NatFront} are rewritten to {server} (DNAT) and forwarded; conntrack rewrites the answers back.",
            $"The server sees its own address {server} where peers sent to {options.NatFront}: NAT detection (RFC 7296 §2.23, RFC 3947) says so and both sides use UDP 4500 for IKE and ESP.",
            "No IP protocol 50 is forwarded: ESP never travels unencapsulated through this NAT.",
        };
        return new FirewallPlan { Rules = b.Build(), Notes = notes, Explanation = [("NAT front", lines)], DropByDefault = false };
    }

    /// <summary>Literal addresses, prefixes and ranges as selectors (null = any); host names aside.</summary>
    private static (List<TrafficSelector?> Selectors, List<string> Hostnames) Addresses(IReadOnlyList<string> addrs)
    {
        var selectors = new List<TrafficSelector?>();
        var hostnames = new List<string>();
        foreach (string a in addrs)
        {
            if (a is "%any" or "%any4" or "%any6" or "0.0.0.0/0" or "::/0") { selectors.Add(null); continue; }
            if (TrafficSelector.TryParse(a, out TrafficSelector ts, out _)) selectors.Add(ts);
            else { hostnames.Add(a); selectors.Add(null); }
        }
        if (selectors.Count == 0 || selectors.Contains(null)) return ([null], hostnames);
        return (selectors, hostnames);
    }

    // IPv4 pools always; IPv6 pools only with --nat66 (see the class comment).
    private static bool Masqueraded(TrafficSelector pool, FirewallOptions options) => pool.Family == AddressFamily.InterNetwork || options.Nat66;

    private static string NotMasqueraded(string what, IEnumerable<TrafficSelector> pools) =>
        $"{what} ({string.Join(", ", pools.Where(t => t.Family == AddressFamily.InterNetworkV6))}) is IPv6 and not masqueraded: IPv6 routes prefixes instead of translating them, " +
        "so route it to this gateway on the upstream router and the clients keep global addresses end to end. " +
        "Where the upstream routes nothing to this host (one /64 or address of its own), --nat66 masquerades it instead.";

    private static IEnumerable<TrafficSelector> PoolSelectors(PortcullisConfig config, IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            if (config.Pools.FirstOrDefault(p => p.Name == name) is not { } pool) continue;
            if (TrafficSelector.TryParse(pool.Addrs.Text, out TrafficSelector ts, out _)) yield return ts;
            else yield return new TrafficSelector(pool.Addrs.First, pool.Addrs.Last);
        }
    }

    // The protocol both selectors allow (0: any); false when they contradict each other.
    private static bool TryJoinProtocol(TrafficSelector? a, TrafficSelector? b, out byte protocol)
    {
        byte x = a?.Protocol ?? 0, y = b?.Protocol ?? 0;
        protocol = x != 0 ? x : y;
        return x == 0 || y == 0 || x == y;
    }

    private static TrafficSelector? AddressOnly(TrafficSelector? ts)
    {
        if (ts is not { } t) return null;
        var whole = new TrafficSelector(t.StartAddress, t.EndAddress);
        // Every address of the family is no restriction at all.
        return whole == TrafficSelector.AnyV4 || whole == TrafficSelector.AnyV6 ? null : whole;
    }

    private static (ushort, ushort)? Ports(TrafficSelector? ts, byte protocol) =>
        ts is { } t && protocol is 6 or 17 or 132 && (t.StartPort != 0 || t.EndPort != 65535) ? (t.StartPort, t.EndPort) : null;

    private static string Text(TrafficSelector? ts) => ts?.ToString() ?? "any";

    /// <summary>The name of an IP protocol as nftables and iptables write it, or its number.</summary>
    public static string ProtocolName(byte protocol) => protocol switch
    {
        1 => "icmp",
        6 => "tcp",
        17 => "udp",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        132 => "sctp",
        _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>True when the rule can be written for a family (its addresses are of it, or it has none).</summary>
    public static bool AppliesTo(FirewallRule rule, AddressFamily family) =>
        (rule.Family & (family == AddressFamily.InterNetwork ? FirewallFamily.V4 : FirewallFamily.V6)) != 0;
}
