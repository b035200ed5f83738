using System.Net;

namespace Portcullis.Core.L2tp;

/// <summary>A datagram for the host to send from <paramref name="Local"/> to <paramref name="Remote"/> (UDP, inside the peer's ESP SA).</summary>
public sealed record L2tpTransmit(IPEndPoint Local, IPEndPoint Remote, byte[] Data);

/// <summary>What the L2TP engine tells the host.</summary>
public abstract record L2tpEvent;

/// <summary>A tunnel (control connection) is established: SCCRQ, SCCRP and SCCCN went through.</summary>
public sealed record L2tpTunnelUp(L2tpTunnel Tunnel) : L2tpEvent;

/// <summary>A tunnel is gone, with all its sessions (each reported by its own <see cref="L2tpSessionDown"/> first).</summary>
public sealed record L2tpTunnelDown(L2tpTunnel Tunnel, string Reason) : L2tpEvent;

/// <summary>A session (call) is established: its data messages carry PPP from now on.</summary>
public sealed record L2tpSessionUp(L2tpSession Session) : L2tpEvent;

/// <summary>A session is gone (CDN either way, or its tunnel went).</summary>
public sealed record L2tpSessionDown(L2tpSession Session, string Reason) : L2tpEvent;

/// <summary>
/// Receives the PPP frame of a data message (address and control field included when the peer sends them, as
/// Windows and Linux do). The span is only valid during the call.
/// </summary>
public delegate void L2tpFrameHandler(L2tpSession session, ReadOnlySpan<byte> pppFrame);
