using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Pools;

/// <summary>
/// The virtual IP pools of a gateway and their leases. No I/O and no locking: the daemon calls it from its one loop.
/// <para>
/// The rules, which follow strongSwan's in-memory pools where it has one and are stricter where it is silent:
/// </para>
/// <list type="number">
/// <item>An address is held by at most one identity at a time. Holding is per IKE SA: each <see cref="Acquire"/> is a
/// reference, each <see cref="Release"/> drops one, and the address stays online while any reference is left.</item>
/// <item>A client that asks for a specific address (its old one, on reauthentication) gets it when nobody has it, when
/// it is its own offline lease, or when the same identity holds it online from the same peer endpoint. The last case is
/// make-before-break reauthentication: the new IKE SA shares the address with the old one until the old one is
/// deleted. strongSwan shares only on an explicit request from the same endpoint too, so a second device with the same
/// identity (one EAP user on a laptop and a phone) gets an address of its own. Without an endpoint the identity alone
/// decides.</item>
/// <item>Otherwise an identity gets back an address it had (an offline lease), as strongSwan does, so a client that
/// reconnects keeps its address.</item>
/// <item>Otherwise a never-used address, lowest first (a cursor moves through the pool; nothing is allocated per
/// address, so a /16 or an IPv6 pool costs only what has been handed out).</item>
/// <item>Only when a pool has no never-used address left is the oldest offline lease of another identity taken over;
/// that identity forgets it.</item>
/// </list>
/// <para>
/// Pools are tried in the order the connection names them, for each step in turn (a returning client's old address in
/// the second pool wins over a new one in the first). Pools of the other address family are skipped. Pools may not
/// overlap. Offline leases are kept until taken over or until a reload drops the pool or the address.
/// </para>
/// <para>
/// An IPv6 subnet pool shorter than /64 also delegates /64 prefixes (<see cref="AcquirePrefix"/>, for PPP clients,
/// whose SLAAC and RFC 4941 temporary addresses all need a prefix of their own). Prefixes follow the same rules as
/// addresses, in a space of their own: never two identities online with one /64, a returning identity gets its old
/// one back, the oldest offline one is taken over only when no never-used /64 is left. The /64s the pool's addresses
/// are in are never delegated (<see cref="AddressRange.PrefixCount"/>).
/// </para>
/// </summary>
public sealed class AddressPoolManager
{
    private readonly Dictionary<string, PoolState> _byName = new(StringComparer.Ordinal);
    private readonly List<PoolState> _pools = [];
    private long _nextReference = 1;

    /// <summary>Creates the pools.</summary>
    /// <exception cref="ArgumentException">Two pools share a name or an address.</exception>
    public AddressPoolManager(IReadOnlyList<PoolConfig> pools) => Reload(pools);

    /// <summary>The pools' configurations, in order.</summary>
    public IReadOnlyList<PoolConfig> Pools => [.. _pools.Select(p => p.Config)];

    /// <summary>
    /// Replaces the pools (on <c>load-all</c>). A lease survives when a pool of the same name still holds its address;
    /// an online lease whose address moved to another pool goes with it (its IKE SA is still using the address, so it
    /// must stay taken). Other leases are forgotten; releasing them later does nothing.
    /// </summary>
    /// <exception cref="ArgumentException">Two pools share a name or an address.</exception>
    public void Reload(IReadOnlyList<PoolConfig> pools)
    {
        for (int i = 0; i < pools.Count; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (pools[i].Name == pools[j].Name) throw new ArgumentException($"two pools named '{pools[i].Name}'", nameof(pools));
                if (pools[i].Addrs.Overlaps(pools[j].Addrs))
                    throw new ArgumentException($"pool '{pools[i].Name}' ({pools[i].Addrs}) overlaps pool '{pools[j].Name}' ({pools[j].Addrs})", nameof(pools));
            }
        }
        List<PoolState> old = [.. _pools];
        _pools.Clear();
        _byName.Clear();
        foreach (PoolConfig config in pools)
        {
            var state = new PoolState(config);
            _pools.Add(state);
            _byName.Add(config.Name, state);
        }
        foreach (PoolState o in old)
        {
            foreach (bool prefixes in (bool[])[false, true])
            {
                Space space = o.SpaceOf(prefixes);
                // Online entries in any order, then offline ones oldest first, so the takeover order survives.
                foreach (Entry e in space.Entries.Values.Where(e => e.Online)) Carry(o, prefixes, e);
                foreach (Entry e in space.Offline) Carry(o, prefixes, e);
            }
        }
    }

    private void Carry(PoolState from, bool prefixes, Entry entry)
    {
        IPAddress address = from.At(prefixes, entry.Offset);
        PoolState? to = _byName.GetValueOrDefault(from.Config.Name) is { } same && same.OffsetOf(prefixes, address) is not null ? same
            : entry.Online ? _pools.FirstOrDefault(p => p.OffsetOf(prefixes, address) is not null) : null;
        if (to is null) return;
        Space space = to.SpaceOf(prefixes);
        var moved = new Entry(to.OffsetOf(prefixes, address)!.Value, entry.Identity);
        moved.Holders.AddRange(entry.Holders);
        space.Add(moved);
        if (!moved.Online) moved.OfflineNode = space.Offline.AddLast(moved);
    }

    /// <summary>
    /// Finds an address for an IKE SA of <paramref name="identity"/> in the named pools of <paramref name="family"/>,
    /// following the rules in the class comment; null when every such pool is exhausted (or none is of that family or
    /// known). <paramref name="requested"/> is the client's INTERNAL_IP4/6_ADDRESS: null or the unspecified address
    /// for "any", an address to ask for that one. <paramref name="peer"/>, the client's IKE endpoint, keeps a second
    /// device of the same identity from sharing an online address.
    /// </summary>
    public Lease? Acquire(IReadOnlyList<string> poolNames, string identity, AddressFamily family, IPAddress? requested, IPEndPoint? peer = null) =>
        AcquireIn(poolNames, identity, p => p.Config.Addrs.Family == family, prefixes: false, requested, peer);

    /// <summary>
    /// Delegates a /64 (<see cref="Lease.PrefixLength"/> 64, <see cref="Lease.Address"/> the prefix with the rest zero)
    /// to an IKE SA or PPP link of <paramref name="identity"/> from the first named pool that delegates prefixes
    /// (<see cref="AddressRange.PrefixCount"/>), following the rules of the class comment; null when none does or all
    /// are exhausted. Give it back with <see cref="Release"/>.
    /// </summary>
    public Lease? AcquirePrefix(IReadOnlyList<string> poolNames, string identity, IPEndPoint? peer = null) =>
        AcquireIn(poolNames, identity, p => p.Config.Addrs.PrefixCount > 0, prefixes: true, null, peer);

    /// <summary>Whether any of the named pools delegates /64 prefixes.</summary>
    public bool DelegatesPrefixes(IReadOnlyList<string> poolNames) =>
        poolNames.Any(n => _byName.TryGetValue(n, out PoolState? p) && p.Config.Addrs.PrefixCount > 0);

    private Lease? AcquireIn(IReadOnlyList<string> poolNames, string identity, Func<PoolState, bool> usable, bool prefixes, IPAddress? requested, IPEndPoint? peer)
    {
        var pools = new List<PoolState>();
        foreach (string name in poolNames)
            if (_byName.TryGetValue(name, out PoolState? p) && usable(p) && !pools.Contains(p)) pools.Add(p);
        if (pools.Count == 0) return null;

        if (requested is not null && !requested.Equals(IPAddress.Any) && !requested.Equals(IPAddress.IPv6Any))
        {
            foreach (PoolState p in pools)
            {
                if (p.OffsetOf(prefixes, requested) is not { } offset) continue;
                Space space = p.SpaceOf(prefixes);
                if (!space.Entries.TryGetValue(offset, out Entry? e)) return Hold(p, prefixes, space.Add(new Entry(offset, identity)), peer, LeaseOrigin.Requested);
                if (e.Identity == identity && !e.Online) return Hold(p, prefixes, e, peer, LeaseOrigin.Returned);
                if (e.Identity == identity && e.Holders.Any(h => SamePeer(h.Peer, peer))) return Hold(p, prefixes, e, peer, LeaseOrigin.Shared);
                break; // someone else's, or this identity's from another device: fall through to the usual order
            }
        }
        foreach (PoolState p in pools)
        {
            if (p.SpaceOf(prefixes).ByIdentity.TryGetValue(identity, out List<Entry>? mine) && mine.Find(e => !e.Online) is { } offline)
                return Hold(p, prefixes, offline, peer, LeaseOrigin.Returned);
        }
        foreach (PoolState p in pools)
        {
            Space space = p.SpaceOf(prefixes);
            if (space.NextUnused() is { } offset) return Hold(p, prefixes, space.Add(new Entry(offset, identity)), peer, LeaseOrigin.New);
        }
        foreach (PoolState p in pools)
        {
            Space space = p.SpaceOf(prefixes);
            if (space.Offline.First?.Value is not { } oldest) continue;
            string previous = oldest.Identity;
            space.Reassign(oldest, identity);
            return Hold(p, prefixes, oldest, peer, LeaseOrigin.Reclaimed, previous);
        }
        return null;
    }

    private static bool SamePeer(IPEndPoint? a, IPEndPoint? b) => a is null || b is null || a.Equals(b);

    private Lease Hold(PoolState pool, bool prefixes, Entry entry, IPEndPoint? peer, LeaseOrigin origin, string? previousIdentity = null)
    {
        if (entry.OfflineNode is not null)
        {
            pool.SpaceOf(prefixes).Offline.Remove(entry.OfflineNode);
            entry.OfflineNode = null;
        }
        var lease = new Lease(pool.Config.Name, pool.At(prefixes, entry.Offset), entry.Identity)
        {
            PrefixLength = prefixes ? AddressRange.DelegatedPrefixLength : null,
            Peer = peer,
            Reference = _nextReference++,
            Origin = origin,
            PreviousIdentity = previousIdentity,
        };
        entry.Holders.Add(lease);
        return lease;
    }

    /// <summary>
    /// Gives back one hold (the IKE SA that had it is gone). When no IKE SA holds the address any more it becomes the
    /// identity's offline lease. False when this hold was already released or its address was dropped by a reload.
    /// </summary>
    public bool Release(Lease lease)
    {
        // By address, not pool name: a reload may have moved the address to another pool.
        bool prefixes = lease.PrefixLength is not null;
        foreach (PoolState p in _pools)
        {
            if (p.OffsetOf(prefixes, lease.Address) is not { } offset) continue;
            Space space = p.SpaceOf(prefixes);
            if (!space.Entries.TryGetValue(offset, out Entry? e)) return false;
            int i = e.Holders.FindIndex(h => h.Reference == lease.Reference);
            if (i < 0) return false;
            e.Holders.RemoveAt(i);
            if (!e.Online) e.OfflineNode = space.Offline.AddLast(e);
            return true;
        }
        return false;
    }

    /// <summary>A pool's size and its online and offline leases.</summary>
    /// <exception cref="KeyNotFoundException">There is no such pool.</exception>
    public PoolStatus Status(string pool)
    {
        PoolState p = Get(pool);
        return new PoolStatus(p.Config.Name, p.Config.Addrs, p.Config.Addrs.Size, p.Addresses.Entries.Count - p.Addresses.Offline.Count, p.Addresses.Offline.Count)
        {
            Prefixes = p.Config.Addrs.PrefixCount,
            PrefixesOnline = p.Prefixes.Entries.Count - p.Prefixes.Offline.Count,
            PrefixesOffline = p.Prefixes.Offline.Count,
        };
    }

    /// <summary>Every pool's status, in order.</summary>
    public IReadOnlyList<PoolStatus> StatusAll() => [.. _pools.Select(p => Status(p.Config.Name))];

    /// <summary>The addresses of a pool that have been handed out, lowest first, then its delegated /64s.</summary>
    /// <exception cref="KeyNotFoundException">There is no such pool.</exception>
    public IReadOnlyList<LeaseInfo> Leases(string pool)
    {
        PoolState p = Get(pool);
        return [.. p.Addresses.Entries.Values.OrderBy(e => e.Offset).Select(e => new LeaseInfo(p.Config.Addrs.AddressAt(e.Offset), e.Identity, e.Online, e.Holders.Count)),
            .. p.Prefixes.Entries.Values.OrderBy(e => e.Offset).Select(e => new LeaseInfo(p.Config.Addrs.PrefixAt(e.Offset), e.Identity, e.Online, e.Holders.Count) { PrefixLength = AddressRange.DelegatedPrefixLength })];
    }

    /// <summary>A pool's DNS servers (empty for an unknown pool).</summary>
    public IReadOnlyList<IPAddress> Dns(string pool) => _byName.TryGetValue(pool, out PoolState? p) ? p.Config.Dns : [];

    /// <summary>A pool's NBNS servers (empty for an unknown pool).</summary>
    public IReadOnlyList<IPAddress> Nbns(string pool) => _byName.TryGetValue(pool, out PoolState? p) ? p.Config.Nbns : [];

    /// <summary>
    /// The CFG_REPLY for the leases an IKE SA got: their addresses, then the DNS and NBNS servers of the pools they came
    /// from (strongSwan sends a pool's attributes only with an address from that pool), each once.
    /// </summary>
    public ConfigurationPayload ReplyFor(IReadOnlyList<Lease> leases, int ip6PrefixLength = 64)
    {
        var pools = new List<PoolConfig>();
        foreach (Lease l in leases)
        {
            PoolConfig? c = _pools.FirstOrDefault(p => p.Config.Addrs.Contains(l.Address))?.Config;
            if (c is not null && !pools.Contains(c)) pools.Add(c);
        }
        return ConfigurationPayload.VirtualIpReply(leases.Select(l => l.Address), pools.SelectMany(p => p.Dns), pools.SelectMany(p => p.Nbns), ip6PrefixLength);
    }

    private PoolState Get(string pool) =>
        _byName.TryGetValue(pool, out PoolState? p) ? p : throw new KeyNotFoundException($"no pool named '{pool}'");

    /// <summary>One handed-out address: whose it is and which IKE SAs hold it (none: offline).</summary>
    private sealed class Entry(ulong offset, string identity)
    {
        public ulong Offset { get; } = offset;
        public string Identity { get; set; } = identity;
        public List<Lease> Holders { get; } = [];
        public LinkedListNode<Entry>? OfflineNode { get; set; }
        public bool Online => Holders.Count > 0;
    }

    /// <summary>A pool: its addresses, and the /64s it delegates (empty unless <see cref="AddressRange.PrefixCount"/>).</summary>
    private sealed class PoolState(PoolConfig config)
    {
        public PoolConfig Config { get; } = config;

        public Space Addresses { get; } = new(config.Addrs.Size);

        public Space Prefixes { get; } = new(config.Addrs.PrefixCount);

        public Space SpaceOf(bool prefixes) => prefixes ? Prefixes : Addresses;

        public IPAddress At(bool prefixes, ulong offset) => prefixes ? Config.Addrs.PrefixAt(offset) : Config.Addrs.AddressAt(offset);

        public ulong? OffsetOf(bool prefixes, IPAddress address) => prefixes ? Config.Addrs.PrefixOffsetOf(address) : Config.Addrs.OffsetOf(address);
    }

    /// <summary>What is handed out of one kind (addresses or /64s) of a pool, by offset.</summary>
    private sealed class Space(ulong size)
    {
        /// <summary>Every offset below it has an entry: entries are never forgotten except by a reload.</summary>
        private ulong _cursor;

        /// <summary>Everything handed out since the pool was loaded, by offset.</summary>
        public Dictionary<ulong, Entry> Entries { get; } = [];

        public Dictionary<string, List<Entry>> ByIdentity { get; } = new(StringComparer.Ordinal);

        /// <summary>Offline entries, the one that went offline first at the head.</summary>
        public LinkedList<Entry> Offline { get; } = new();

        public Entry Add(Entry e)
        {
            Entries.Add(e.Offset, e);
            AddToIdentity(e);
            return e;
        }

        public void Reassign(Entry e, string identity)
        {
            List<Entry> list = ByIdentity[e.Identity];
            list.Remove(e);
            if (list.Count == 0) ByIdentity.Remove(e.Identity);
            e.Identity = identity;
            AddToIdentity(e);
        }

        private void AddToIdentity(Entry e)
        {
            if (!ByIdentity.TryGetValue(e.Identity, out List<Entry>? list)) ByIdentity[e.Identity] = list = [];
            list.Add(e);
        }

        /// <summary>The lowest never-used offset, or null when everything has been handed out once.</summary>
        public ulong? NextUnused()
        {
            // Requested offsets may have been taken above the cursor: skip them.
            while (_cursor < size && Entries.ContainsKey(_cursor)) _cursor++;
            return _cursor < size ? _cursor : null;
        }
    }
}
