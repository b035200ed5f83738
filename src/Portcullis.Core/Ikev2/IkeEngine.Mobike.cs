using System.Net;

namespace Portcullis.Core.Ikev2;

/// <summary>MOBIKE (RFC 4555) input from the host: this machine's addresses changed.</summary>
public sealed partial class IkeEngine
{
    /// <summary>The host's usable addresses, as last reported (our ADDITIONAL_*_ADDRESS list).</summary>
    internal IReadOnlyList<IPAddress> LocalAddresses { get; private set; } = [];

    /// <summary>
    /// The host's usable addresses are now <paramref name="addresses"/> (all of them, not a difference; no loopback).
    /// Every IKE SA we initiated with MOBIKE whose local address is gone moves to another one and tells the peer with
    /// UPDATE_SA_ADDRESSES; the CHILD SAs follow when the peer answers (<see cref="IkeSaAddressesUpdated"/>).
    /// </summary>
    public void LocalAddressesChanged(DateTimeOffset now, IReadOnlyList<IPAddress> addresses)
    {
        LocalAddresses = [.. addresses];
        foreach (IkeSa sa in _byLocalSpi.Values.ToArray()) sa.LocalAddressesChanged(now, LocalAddresses);
    }
}
