using System.Net;

namespace Portcullis.Core.Ikev2;

/// <summary>A datagram for the host to send. IKE on the NAT-T port carries the 4-byte non-ESP marker (RFC 3948 §2.2).</summary>
public sealed record IkeTransmit(IPEndPoint Local, IPEndPoint Remote, byte[] Data, bool NonEspMarker)
{
    /// <summary>A NAT-keepalive (RFC 3948 §2.3): the single byte 0xFF, never with a marker.</summary>
    public bool IsKeepalive => Data.Length == 1 && Data[0] == 0xFF && !NonEspMarker;
}

/// <summary>What the IKE engine tells the host: SAs to install in or remove from the data plane.</summary>
public abstract record IkeEvent;

/// <summary>An IKE SA finished IKE_AUTH.</summary>
public sealed record IkeSaEstablished(IkeSa IkeSa) : IkeEvent;

/// <summary>An IKE SA is gone (deleted, failed or timed out); its CHILD SAs were removed first.</summary>
public sealed record IkeSaRemoved(IkeSa IkeSa, string Reason) : IkeEvent;

/// <summary>
/// A CHILD SA is ready: install its two ESP SAs. A fresh CHILD SA gets its own policies; one that rekeys another
/// (<see cref="ChildSa.Replaces"/>) takes over its predecessor's policies, and its outbound SA carries traffic only
/// when <see cref="ChildSa.OutboundActive"/> (or after <see cref="ChildSaOutboundActivated"/>).
/// </summary>
public sealed record ChildSaInstalled(ChildSa ChildSa) : IkeEvent;

/// <summary>Outbound traffic of the CHILD SA's policies moves to this SA (make-before-break after a rekey).</summary>
public sealed record ChildSaOutboundActivated(ChildSa ChildSa) : IkeEvent;

/// <summary>
/// A CHILD SA is gone: remove its ESP SAs, and its policies unless a successor holds them. After a rekey
/// (<see cref="ChildSa.Superseded"/>) the inbound SA may linger briefly for packets in flight. A trap policy follows
/// when <see cref="ChildSa.AfterRemoval"/> says so.
/// </summary>
public sealed record ChildSaRemoved(ChildSa ChildSa) : IkeEvent;

/// <summary>The IKE SA's addresses or ports changed (NAT mapping): ESP goes to the new endpoint.</summary>
public sealed record ChildSaEndpointsChanged(ChildSa ChildSa) : IkeEvent;

/// <summary>A CHILD SA could not be created (the IKE or ISAKMP SA may still be up).</summary>
public sealed record ChildSaFailed(IIkeSa IkeSa, string ChildName, string Reason) : IkeEvent;

/// <summary>
/// MOBIKE (RFC 4555) moved an IKE SA and with it every CHILD SA to new addresses: the peer's UPDATE_SA_ADDRESSES, or
/// the peer's answer to ours. ESP goes between <see cref="IkeSa.LocalEndpoint"/> and <see cref="IkeSa.RemoteEndpoint"/>
/// from now on, in UDP when <see cref="IkeSa.UdpEncapsulation"/> says so (a NAT may have appeared or gone).
/// </summary>
public sealed record IkeSaAddressesUpdated(IkeSa IkeSa, IPEndPoint OldLocal, IPEndPoint OldRemote, IPEndPoint NewLocal, IPEndPoint NewRemote) : IkeEvent;

/// <summary>
/// An IKEv1 ISAKMP SA got a virtual IP by Mode Config: it goes on the TUN device (counted: a reauthenticated SA holds
/// the same address as its predecessor for a while), and the routes into the tunnel take it as their source.
/// </summary>
public sealed record LocalVirtualIpAssigned(IIkeSa IkeSa, IPAddress Address) : IkeEvent;

/// <summary>The ISAKMP SA that held this virtual IP is gone: one hold on the address is released.</summary>
public sealed record LocalVirtualIpReleased(IIkeSa IkeSa, IPAddress Address) : IkeEvent;
