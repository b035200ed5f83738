using System.Net;

namespace Portcullis.Core.Ppp;

/// <summary>What a <see cref="PppSession"/> reports through <see cref="PppSession.TryDequeueEvent"/>.</summary>
public abstract record PppEvent;

/// <summary>
/// Authentication succeeded. Server: <paramref name="User"/> is the peer's name as it sent it (PAP Peer-ID, CHAP
/// Name), the name its password was checked for. Client: the name we authenticated as.
/// </summary>
public sealed record PppAuthenticated(string User, PppAuthenticationProtocol Protocol) : PppEvent;

/// <summary>Authentication failed; the link is closing. <paramref name="User"/> is null when no name arrived.</summary>
public sealed record PppAuthenticationFailed(string? User, PppAuthenticationProtocol Protocol, string Reason) : PppEvent;

/// <summary>
/// IPCP is up: IPv4 flows. Server: <paramref name="PeerAddress"/> is the address assigned, <paramref name="Dns"/>
/// and <paramref name="Nbns"/> what the peer took. Client: the address we were given and the server's name servers.
/// <paramref name="Mtu"/> bounds the IP packets we send (<see cref="PppSession.Mtu"/>, for the TUN device). After an
/// IPCP renegotiation by the peer it comes again, with the same addresses on the server.
/// </summary>
public sealed record PppNetworkUp(IPAddress LocalAddress, IPAddress PeerAddress, IReadOnlyList<IPAddress> Dns, IReadOnlyList<IPAddress> Nbns,
    int Mtu) : PppEvent;

/// <summary>
/// IPv6CP is up: IPv6 flows. <paramref name="LocalIdentifier"/> and <paramref name="PeerIdentifier"/> are the
/// Interface-Identifiers (fe80::id are the link-local addresses). Server: <paramref name="PeerAddress"/> is the global
/// address the peer forms from our Router Advertisement's /64 and its identifier (route it to the link); client: null
/// (the address comes with the advertisement). After a renegotiation by the peer it comes again.
/// </summary>
public sealed record PppIpv6Up(ulong LocalIdentifier, ulong PeerIdentifier, IPAddress? PeerAddress, int Mtu) : PppEvent;

/// <summary>
/// The link is down (once per session): IP no longer flows and the session will not come back. The Terminate
/// exchange may still be under way; keep feeding the session until <see cref="PppSession.IsFinished"/> to complete
/// it, or drop it. <paramref name="PeerAddress"/> is the address the peer had (to release), if any.
/// </summary>
public sealed record PppDown(string Reason, string? User, IPAddress? PeerAddress) : PppEvent;
