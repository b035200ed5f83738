using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using ParseError = Portcullis.Core.Ikev2.Wire.ParseError;

namespace Portcullis.Core.Ikev1;

/// <summary>
/// The IKEv1 half of the engine (RFC 2408, 2409), sans-IO like the rest: <see cref="IkeEngine"/> hands it every
/// datagram whose ISAKMP version is 1.0, its timeouts and the commands for <c>version = 1</c> connections, and
/// sends what it queues. It shares the engine's configuration, options, unique ids, ESP SPIs, random source and
/// its transmit and event queues, so the host and the data plane see one engine.
/// </summary>
public sealed class Ikev1Engine
{
    private readonly Dictionary<ulong, IsakmpSa> _byLocalCookie = [];
    private readonly Dictionary<(ulong, IPEndPoint), IsakmpSa> _halfOpen = [];

    internal Ikev1Engine(IkeEngine main) => Main = main;

    internal IkeEngine Main { get; }

    internal ILogger Logger => Main.Logger;

    internal IkeEngineOptions Options => Main.Options;

    /// <summary>Every ISAKMP SA, half-open ones included.</summary>
    public IReadOnlyCollection<IsakmpSa> Sas => _byLocalCookie.Values;

    /// <summary>When <see cref="HandleTimeout"/> must next be called; null when nothing is pending.</summary>
    public DateTimeOffset? NextTimeout
    {
        get
        {
            DateTimeOffset? next = null;
            foreach (IsakmpSa sa in _byLocalCookie.Values)
                if (sa.NextTimeout is { } t && (next is null || t < next)) next = t;
            return next;
        }
    }

    /// <summary>Retransmissions, keepalives, liveness checks and lifetimes due at <paramref name="now"/>.</summary>
    public void HandleTimeout(DateTimeOffset now)
    {
        List<IsakmpSa>? due = null;
        foreach (IsakmpSa sa in _byLocalCookie.Values)
            if (sa.NextTimeout is { } t && t <= now) (due ??= []).Add(sa);
        if (due is not null)
            foreach (IsakmpSa sa in due) sa.HandleTimeout(now);
    }

    /// <summary>An ISAKMP datagram (non-ESP marker removed) that arrived at <paramref name="local"/> from <paramref name="remote"/>.</summary>
    public void HandleDatagram(DateTimeOffset now, IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> datagram)
    {
        if (!IsakmpHeader.TryParse(datagram, out IsakmpHeader header, out ParseError error))
        {
            Main.LogDropped(now, remote, error.ToString());
            return;
        }
        datagram = datagram[..(int)header.Length];
        if (header.ResponderCookie == 0)
        {
            if (header.ExchangeType is IsakmpExchangeType.IdentityProtection or IsakmpExchangeType.Aggressive && header.MessageId == 0 && !header.IsEncrypted)
            {
                if (_halfOpen.TryGetValue((header.InitiatorCookie, remote), out IsakmpSa? existing)) existing.HandleMessage(now, header, datagram, local, remote);
                else HandleNewPhase1(now, local, remote, header, datagram);
            }
            else if (header.ExchangeType == IsakmpExchangeType.Informational && FindOwn(header) is { } own)
            {
                // A peer refusing our first message answers before it has a cookie of its own.
                own.HandleMessage(now, header, datagram, local, remote);
            }
            else
            {
                Main.LogDropped(now, remote, $"ISAKMP {header.ExchangeType} message {header.MessageId} without a responder cookie");
            }
            return;
        }
        IsakmpSa? sa = FindOwn(header);
        if (sa is null)
        {
            Main.LogDropped(now, remote, $"ISAKMP {header.ExchangeType} message for unknown cookies {header.InitiatorCookie:x16}_i {header.ResponderCookie:x16}_r");
            return;
        }
        sa.HandleMessage(now, header, datagram, local, remote);
    }

    /// <summary>The SA a message belongs to: by our cookie, the initiator's when we initiated, the responder's otherwise.</summary>
    private IsakmpSa? FindOwn(IsakmpHeader header)
    {
        if (_byLocalCookie.TryGetValue(header.InitiatorCookie, out IsakmpSa? mine) && mine.IsInitiator && (mine.ResponderCookie == 0 || mine.ResponderCookie == header.ResponderCookie || header.ResponderCookie == 0))
            return mine;
        if (header.ResponderCookie != 0 && _byLocalCookie.TryGetValue(header.ResponderCookie, out IsakmpSa? theirs) && !theirs.IsInitiator && theirs.InitiatorCookie == header.InitiatorCookie)
            return theirs;
        return null;
    }

    /// <summary>
    /// The first message of Main or Aggressive Mode: the connection is chosen by addresses (and, in Aggressive Mode,
    /// by the identity the message carries) among those whose proposals match; Main Mode cannot know the peer yet.
    /// </summary>
    private void HandleNewPhase1(DateTimeOffset now, IPEndPoint local, IPEndPoint remote, IsakmpHeader header, ReadOnlySpan<byte> datagram)
    {
        bool aggressive = header.ExchangeType == IsakmpExchangeType.Aggressive;
        string mode = aggressive ? "Aggressive Mode" : "Main Mode";
        // IKEv1 has no cookie exchange: only the per-address block_threshold, the init_limit_half_open limit and the
        // IKEv1 cap stand between a flood (from forged addresses too) and the state and Diffie-Hellman computation of
        // a half-open SA each.
        IkeEngineOptions o = Options;
        int fromPeer = _halfOpen.Keys.Count(k => k.Item2.Address.Equals(remote.Address));
        if (o.DosProtection && o.BlockThreshold > 0 && fromPeer >= o.BlockThreshold
            || o.InitLimitHalfOpen > 0 && _halfOpen.Count + Main.HalfOpenCount >= o.InitLimitHalfOpen
            || _halfOpen.Count >= o.Ikev1HalfOpenCap)
        {
            if (Main.PeerLog.Allow("ikev1 half-open", LogLevel.Warning, now))
                IkeLog.Dropped(Logger, remote, $"{mode}: {fromPeer} half-open IKEv1 SAs from this address (block_threshold {o.BlockThreshold}), {_halfOpen.Count} in all (init_limit_half_open {o.InitLimitHalfOpen}, IKEv1 cap {o.Ikev1HalfOpenCap})");
            return;
        }
        if (!IsakmpMessage.TryDecode(datagram, header, null, default, out IsakmpMessage? message, out _, out ParseError error))
        {
            Main.LogDropped(now, remote, $"{mode} message 1: {error}");
            SendNotify(local, remote, header, NotifyMessageType.PayloadMalformed);
            return;
        }
        SaPayload? sa = message!.Get<SaPayload>();
        if (sa is null || message.Payloads[0] is not SaPayload)
        {
            Main.LogDropped(now, remote, $"{mode} message 1 does not start with an SA payload");
            SendNotify(local, remote, header, NotifyMessageType.PayloadMalformed);
            return;
        }
        Identity? peerId = aggressive ? message.Get<IdPayload>()?.ToIdentity() : null;
        // IKEv1 has one method for both sides, a PSK or RSA signatures: a connection with EAP or mixed methods is IKEv2's.
        List<ConnectionConfig> candidates = Main.Config.Connections.Where(c => c.Version is 0 or 1 && Ikev1Capable(c)
            && IkeEngine.AddressMatches(c.LocalAddrs, local.Address) && IkeEngine.AddressMatches(c.RemoteAddrs, remote.Address)).ToList();
        if (aggressive && peerId is not null)
            candidates = candidates.OrderBy(c => c.Remote.Id is null ? 1 : c.Remote.Id.Equals(peerId) ? 0 : 2).Where(c => c.Remote.Id is null || c.Remote.Id.Equals(peerId)).ToList();
        if (candidates.Count == 0)
        {
            if (Main.PeerLog.Allow("ikev1 no connection", LogLevel.Warning, now)) Ikev1Log.NoConnection(Logger, mode, remote, local);
            SendNotify(local, remote, header, NotifyMessageType.NoProposalChosen);
            return;
        }
        foreach (ConnectionConfig conn in candidates)
        {
            var selected = Ikev1Proposals.SelectPhase1(Ikev1Proposals.Phase1(conn.Proposals), sa, IsakmpSa.MethodFor(conn, initiator: false));
            if (selected is null) continue;
            var isakmp = new IsakmpSa(this, Main.NextUid(), conn, initiator: false, header.InitiatorCookie, AllocateCookie(), local, remote, now,
                aggressive ? Phase1Mode.Aggressive : Phase1Mode.Main);
            if (aggressive && !conn.Aggressive)
            {
                Ikev1Log.AggressiveRefused(Logger, conn.Name, isakmp.Uid, remote);
                SendNotify(local, remote, header, NotifyMessageType.AuthenticationFailed);
                isakmp.Dispose();
                return;
            }
            _byLocalCookie[isakmp.LocalCookie] = isakmp;
            _halfOpen[(header.InitiatorCookie, remote)] = isakmp;
            isakmp.HandleFirstMessage(now, header, message, datagram, selected.Value.Choice, selected.Value.Offer, selected.Value.Transform);
            return;
        }
        ConnectionConfig first = candidates[0];
        if (Main.PeerLog.Allow("ikev1 no proposal", LogLevel.Warning, now))
            Ikev1Log.NoProposalChosen(Logger, first.Name, 0, Ikev1Proposals.DescribePhase1(sa), Ikev1Proposals.Describe(Ikev1Proposals.Phase1(first.Proposals)));
        SendNotify(local, remote, header, NotifyMessageType.NoProposalChosen);
    }

    /// <summary>IKEv1 authenticates both sides the same way: both with the PSK, or both with RSA signatures.</summary>
    internal static bool Ikev1Capable(ConnectionConfig c) => c.Local.Class == c.Remote.Class && c.Local.Class is AuthClass.Psk or AuthClass.PublicKey;

    /// <summary>An unencrypted Informational notify about a message we will not keep state for (RFC 2408 §5.1).</summary>
    internal void SendNotify(IPEndPoint local, IPEndPoint remote, IsakmpHeader about, NotifyMessageType type)
    {
        var header = new IsakmpHeader(about.InitiatorCookie, about.ResponderCookie, IsakmpPayloadType.None, IsakmpHeader.Version10,
            IsakmpExchangeType.Informational, IsakmpFlags.None, RandomMessageId(), 0);
        byte[] data = IsakmpMessage.Encode(header, [NotificationPayload.ForIsakmpSa(type, about.InitiatorCookie, about.ResponderCookie)]);
        Main.Transmit(new IkeTransmit(local, remote, data, local.Port == Options.NatTraversalPort));
    }

    /// <summary>
    /// Brings up <paramref name="child"/> of an IKEv1 connection: by Quick Mode over an ISAKMP SA of the connection
    /// that is up or on its way, otherwise with a new one (Main Mode, or Aggressive Mode with <c>aggressive = yes</c>).
    /// </summary>
    internal bool Initiate(DateTimeOffset now, ConnectionConfig conn, ChildConfig child, out string? error)
    {
        error = null;
        IsakmpSa? existing = _byLocalCookie.Values.FirstOrDefault(s => s.Connection.Name == conn.Name && s.State is not IsakmpSaState.Deleted && s.IsInitiator && s.ReplacedBy is null)
            ?? _byLocalCookie.Values.FirstOrDefault(s => s.Connection.Name == conn.Name && s.State == IsakmpSaState.Established && s.ReplacedBy is null);
        if (existing is not null)
        {
            existing.QueueChild(now, child);
            return true;
        }
        return StartInitiator(now, conn, [child], out error) is not null;
    }

    /// <summary>A new ISAKMP SA we initiate, bringing up <paramref name="children"/>; null with a reason when it cannot start.</summary>
    internal IsakmpSa? StartInitiator(DateTimeOffset now, ConnectionConfig conn, IReadOnlyList<ChildConfig> children, out string? error)
    {
        error = null;
        IPAddress? remote = conn.RemoteAddress;
        if (remote is null) { error = $"connection '{conn.Name}' has no literal remote address to initiate to"; return null; }
        IPAddress? localAddress = conn.LocalAddress ?? Options.SourceAddressFor?.Invoke(remote);
        if (localAddress is null) { error = $"no local address to reach {remote} (set local_addrs)"; return null; }
        if (!Ikev1Capable(conn)) { error = $"connection '{conn.Name}': IKEv1 needs auth = psk on both sides or auth = pubkey on both sides"; return null; }
        if (Ikev1Proposals.Phase1(conn.Proposals).Count == 0) { error = $"connection '{conn.Name}' has no IKE proposal usable with IKEv1 (an AEAD or a group without an IKEv1 number?)"; return null; }
        var sa = new IsakmpSa(this, Main.NextUid(), conn, initiator: true, AllocateCookie(), 0,
            new IPEndPoint(localAddress, Options.IkePort), new IPEndPoint(remote, conn.RemotePort), now, conn.Aggressive ? Phase1Mode.Aggressive : Phase1Mode.Main);
        _byLocalCookie[sa.LocalCookie] = sa;
        foreach (ChildConfig child in children) sa.QueueChild(now, child);
        sa.StartInitiator(now);
        return sa;
    }

    /// <summary>Deletes every ISAKMP SA of a connection (DELETE for its Quick Mode SAs and itself); returns how many.</summary>
    internal int Terminate(DateTimeOffset now, string connectionName)
    {
        IsakmpSa[] sas = _byLocalCookie.Values.Where(s => s.Connection.Name == connectionName).ToArray();
        foreach (IsakmpSa sa in sas) sa.Delete(now, "terminated by command");
        return sas.Length;
    }

    /// <summary>Deletes every ISAKMP SA (on shutdown).</summary>
    internal void TerminateAll(DateTimeOffset now, string reason)
    {
        foreach (IsakmpSa sa in _byLocalCookie.Values.ToArray()) sa.Delete(now, reason);
    }

    /// <summary>An ISAKMP SA or Quick Mode for the child is on its way or up.</summary>
    internal bool Pending(string childName) => _byLocalCookie.Values.Any(s => s.State != IsakmpSaState.Deleted && s.Involves(childName));

    /// <summary>The Quick Mode SA with this inbound SPI.</summary>
    internal ChildSa? FindChild(uint inboundSpi)
    {
        foreach (IsakmpSa sa in _byLocalCookie.Values)
            foreach (ChildSa child in sa.Children)
                if (child.InboundSpi == inboundSpi) return child;
        return null;
    }

    /// <summary>Other established ISAKMP SAs of the same connection with the same peer (for INITIAL-CONTACT, either way).</summary>
    /// <remarks>Before its peer is authenticated an SA has no remote identity yet: the peer's address stands for it.</remarks>
    /// <remarks>With XAUTH many users may share one IKE identity (a group PSK): their user names tell them apart.</remarks>
    internal IEnumerable<IsakmpSa> OthersWithPeer(IsakmpSa sa) => _byLocalCookie.Values.Where(s => s != sa && s.State == IsakmpSaState.Established
        && s.Connection.Name == sa.Connection.Name && (s.XauthUser is null || sa.XauthUser is null || s.XauthUser == sa.XauthUser)
        && (s.RemoteId is null || sa.RemoteId is null ? s.RemoteEndpoint.Address.Equals(sa.RemoteEndpoint.Address) : s.RemoteId.Equals(sa.RemoteId)));

    internal void Forget(IsakmpSa sa)
    {
        _byLocalCookie.Remove(sa.LocalCookie);
        foreach (var key in _halfOpen.Where(kv => kv.Value == sa).Select(kv => kv.Key).ToArray()) _halfOpen.Remove(key);
    }

    internal void LeftHalfOpen(IsakmpSa sa)
    {
        foreach (var key in _halfOpen.Where(kv => kv.Value == sa).Select(kv => kv.Key).ToArray()) _halfOpen.Remove(key);
    }

    internal uint RandomMessageId()
    {
        Span<byte> b = stackalloc byte[4];
        uint id;
        do { Main.FillRandom(b); id = BinaryPrimitives.ReadUInt32BigEndian(b); } while (id == 0);
        return id;
    }

    private ulong AllocateCookie()
    {
        Span<byte> b = stackalloc byte[8];
        ulong cookie;
        do { Main.FillRandom(b); cookie = BinaryPrimitives.ReadUInt64BigEndian(b); } while (cookie == 0 || _byLocalCookie.ContainsKey(cookie));
        return cookie;
    }
}
