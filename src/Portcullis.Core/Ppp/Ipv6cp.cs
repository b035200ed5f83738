using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// The IPv6 Control Protocol (RFC 5072) on the shared automaton. It negotiates only the Interface-Identifier, the
/// same way on both ends (§4.1): we ask for our own non-zero identifier; a peer's identifier of zero, equal to ours,
/// or one <see cref="PppOptions.Ipv6IdentifierTaken"/> refuses (another link's address) is Nak'ed with a fresh
/// random one; a peer that leaves the option out is told one (the server needs it for the peer's address); a Nak of
/// ours is taken unless it is zero or the peer's own. Anything else (IPv6-Compression-Protocol) is rejected.
/// </summary>
internal sealed class Ipv6cp : PppAutomaton
{
    private readonly IPppLayerEvents _events;
    private bool _localRejected;

    public Ipv6cp(PppContext context, IPppLayerEvents events) : base(context, (ushort)PppProtocol.Ipv6cp, "IPv6CP")
    {
        _events = events;
    }

    /// <summary>Our Interface-Identifier (fe80::it is our link-local address); drawn for the first Configure-Request.</summary>
    public ulong LocalIdentifier { get; private set; }

    /// <summary>The peer's Interface-Identifier as acknowledged; zero until then.</summary>
    public ulong PeerIdentifier { get; private set; }

    protected override string OptionName(byte type) => Ipv6cpOptions.Name(type);

    protected override IReadOnlyList<PppOption> BuildConfigureRequest()
    {
        // Drawn here rather than at construction, so the session's earlier random draws (magic number, challenges)
        // stay the same with IPv6 on or off.
        if (LocalIdentifier == 0) LocalIdentifier = FreshIdentifier(avoid: 0);
        return _localRejected ? [] : [Ipv6cpOptions.InterfaceIdentifier(LocalIdentifier)];
    }

    protected override void EvaluateConfigureRequest(IReadOnlyList<PppOption> options, ConfigureReply reply)
    {
        ulong accepted = 0;
        bool saw = false;
        foreach (PppOption o in options)
        {
            if ((Ipv6cpOptionType)o.Type != Ipv6cpOptionType.InterfaceIdentifier)
            {
                reply.Reject(o, $"{Ipv6cpOptions.Name(o.Type)} is not supported");
                continue;
            }
            saw = true;
            if (!Ipv6cpOptions.TryReadInterfaceIdentifier(o, out ulong asked, out ParseError error)) { reply.Reject(o, error.ToString()); continue; }
            string? wrong = asked == 0 ? "peer's Interface-Identifier is zero"
                : asked == LocalIdentifier ? "peer's Interface-Identifier equals ours"
                : Taken(asked) ? $"peer's Interface-Identifier {Ipv6cpOptions.Format(asked)} is in use on another link"
                : null;
            if (wrong is null) accepted = asked;
            else
            {
                ulong suggested = FreshIdentifier(avoid: LocalIdentifier);
                reply.Nak(o, Ipv6cpOptions.InterfaceIdentifier(suggested), $"{wrong}; suggesting {Ipv6cpOptions.Format(suggested)}");
            }
        }
        if (!saw)
        {
            ulong suggested = FreshIdentifier(avoid: LocalIdentifier);
            reply.Suggest(Ipv6cpOptions.InterfaceIdentifier(suggested), $"peer did not send an Interface-Identifier; suggesting {Ipv6cpOptions.Format(suggested)}");
        }
        if (reply.Naks.Count == 0 && reply.Rejects.Count == 0) PeerIdentifier = accepted;
    }

    protected override string? ConfigureNaked(IReadOnlyList<PppOption> options)
    {
        foreach (PppOption o in options)
        {
            if ((Ipv6cpOptionType)o.Type != Ipv6cpOptionType.InterfaceIdentifier || !Ipv6cpOptions.TryReadInterfaceIdentifier(o, out ulong suggested, out _)) continue;
            // §4.1: take the peer's suggestion unless it cannot be unique; then pick again ourselves.
            LocalIdentifier = suggested != 0 && suggested != PeerIdentifier ? suggested : FreshIdentifier(avoid: PeerIdentifier);
        }
        return null;
    }

    protected override string? ConfigureRejected(IReadOnlyList<PppOption> options)
    {
        // Without the option the peer cannot check our identifier; we keep using it for our link-local address.
        foreach (PppOption o in options)
            if ((Ipv6cpOptionType)o.Type == Ipv6cpOptionType.InterfaceIdentifier) _localRejected = true;
        return null;
    }

    private bool Taken(ulong identifier) => Context.Options.Ipv6IdentifierTaken?.Invoke(identifier) == true;

    // Random, non-zero, not the other end's and not taken (§4.1). The tries are bounded so that a callback refusing
    // everything cannot hang the loop; the last draw is non-zero at least.
    private ulong FreshIdentifier(ulong avoid)
    {
        Span<byte> b = stackalloc byte[8];
        ulong id = 0;
        for (int i = 0; i < 16; i++)
        {
            Context.Random(b);
            id = BinaryPrimitives.ReadUInt64BigEndian(b);
            if (id != 0 && id != avoid && !Taken(id)) return id;
        }
        if (id != 0 && id != avoid) return id;
        return avoid == ulong.MaxValue ? 1 : avoid + 1;
    }

    protected override void ThisLayerUp(DateTimeOffset now) => _events.LayerUp(this, now);

    protected override void ThisLayerDown(DateTimeOffset now) => _events.LayerDown(this, now);

    protected override void ThisLayerFinished(DateTimeOffset now) => _events.LayerFinished(this, now);
}
