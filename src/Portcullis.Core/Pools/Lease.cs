using System.Net;

namespace Portcullis.Core.Pools;

/// <summary>How <see cref="AddressPoolManager.Acquire"/> found the address, for the log.</summary>
public enum LeaseOrigin
{
    /// <summary>An address nobody had used since the pool was loaded.</summary>
    New,
    /// <summary>The address the client asked for, which was free.</summary>
    Requested,
    /// <summary>The identity's own offline lease, given back.</summary>
    Returned,
    /// <summary>An address the identity holds online already, shared by a second IKE SA (reauthentication).</summary>
    Shared,
    /// <summary>The oldest offline lease of another identity, taken because the pool had no unused address left.</summary>
    Reclaimed,
}

/// <summary>
/// One hold on a virtual IP: the pool, the address and the identity it was given to. Each call to
/// <see cref="AddressPoolManager.Acquire"/> returns a new one; give each back once with
/// <see cref="AddressPoolManager.Release"/> when the IKE SA that holds it goes.
/// </summary>
/// <param name="Pool">The pool's name.</param>
/// <param name="Address">The address.</param>
/// <param name="Identity">The identity it belongs to.</param>
public sealed record Lease(string Pool, IPAddress Address, string Identity)
{
    /// <summary>The peer's IKE endpoint when it was acquired, if the caller gave it.</summary>
    public IPEndPoint? Peer { get; init; }

    /// <summary>Tells holds apart: two IKE SAs sharing an address hold two references, and releasing one twice counts once.</summary>
    public long Reference { get; init; }

    /// <summary>How the address was found.</summary>
    public LeaseOrigin Origin { get; init; }

    /// <summary>For <see cref="LeaseOrigin.Reclaimed"/>, the identity whose offline lease this was.</summary>
    public string? PreviousIdentity { get; init; }

    /// <summary>64 for a delegated /64 (<see cref="AddressPoolManager.AcquirePrefix"/>, <see cref="Address"/> is the prefix); null for one address.</summary>
    public int? PrefixLength { get; init; }
}

/// <summary>A pool's numbers, as <c>swanctl --list-pools</c> shows them.</summary>
/// <param name="Name">The pool's name.</param>
/// <param name="Addrs">Its addresses as configured.</param>
/// <param name="Size">How many addresses it hands out.</param>
/// <param name="Online">Addresses held by at least one IKE SA.</param>
/// <param name="Offline">Addresses remembered for an identity whose IKE SAs are gone.</param>
public readonly record struct PoolStatus(string Name, AddressRange Addrs, ulong Size, int Online, int Offline)
{
    /// <summary>How many /64s the pool delegates (0 for most pools).</summary>
    public ulong Prefixes { get; init; }

    /// <summary>Delegated /64s held now.</summary>
    public int PrefixesOnline { get; init; }

    /// <summary>Delegated /64s remembered for an identity whose links are gone.</summary>
    public int PrefixesOffline { get; init; }
}

/// <summary>One address of a pool that has been handed out (<c>swanctl --list-pools --leases</c>).</summary>
/// <param name="Address">The address.</param>
/// <param name="Identity">Whose it is.</param>
/// <param name="Online">Whether an IKE SA holds it now.</param>
/// <param name="References">How many IKE SAs hold it (2 during a reauthentication).</param>
public readonly record struct LeaseInfo(IPAddress Address, string Identity, bool Online, int References)
{
    /// <summary>64 for a delegated /64; null for one address.</summary>
    public int? PrefixLength { get; init; }
}
