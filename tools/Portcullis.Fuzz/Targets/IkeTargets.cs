using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Fuzz.Targets;

/// <summary>Shared plumbing: the current context for the loggers, and draining an engine's output into features.</summary>
internal abstract class EngineTarget : IFuzzTarget
{
    protected FuzzContext? Current;

    protected FeatureLogger NewLogger() => new(() => Current);

    public void Run(byte[] input, FuzzContext context)
    {
        Current = context;
        try { RunInput(input, context); }
        finally { Current = null; }
    }

    protected abstract void RunInput(byte[] input, FuzzContext context);

    /// <summary>Takes everything an engine queued; features say what it sent and emitted.</summary>
    protected static List<byte[]> Drain(IkeEngine engine, FuzzContext context)
    {
        var sent = new List<byte[]>();
        while (engine.TryDequeueEvent(out IkeEvent? e)) context.Feature($"event:{e!.GetType().Name}");
        while (engine.TryDequeueTransmit(out IkeTransmit? t))
        {
            sent.Add(t!.Data);
            if (IkeHeader.TryParse(t.Data, out IkeHeader h, out _)) context.Feature($"sent:{h.ExchangeType}:{h.Flags}");
        }
        return sent;
    }

    /// <summary>The input with bytes 0–15 set to the given SPIs (so mutated datagrams reach the live SA).</summary>
    protected static byte[] WithSpis(byte[] input, ulong i, ulong r)
    {
        byte[] d = (byte[])input.Clone();
        if (d.Length >= 8) BinaryPrimitives.WriteUInt64BigEndian(d, i);
        if (d.Length >= 16) BinaryPrimitives.WriteUInt64BigEndian(d.AsSpan(8), r);
        return d;
    }
}

/// <summary>
/// <c>ikev2-responder</c> and <c>ikev1-responder</c>: every datagram an unauthenticated peer can send to UDP 500,
/// into a responder with one connection. Property: the state kept for one peer address stays bounded (the
/// responder's half-open limits), whatever it sends; the clock moves a second per input so half-open SAs expire.
/// </summary>
internal sealed class ResponderTarget(int version) : EngineTarget
{
    private IkeEngine? _engine;
    private DateTimeOffset _now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private int _inputs;

    /// <summary>strongSwan's block_threshold (5) half-open SAs per address, plus IKEv1 SAs waiting out their timeout.</summary>
    public const int MaxSasPerPeer = 8;

    protected override void RunInput(byte[] input, FuzzContext context)
    {
        if (_engine is null || ++_inputs % 5000 == 0)
            _engine = new IkeEngine(IkeHarness.Config(version, left: false, version == 1 ? "aes128-sha256-modp2048" : "aes128gcm16-prfsha256-ecp256",
                version == 1 ? "aes128-sha256" : "aes128gcm16"), new IkeEngineOptions(), NewLogger());
        _now += TimeSpan.FromSeconds(1);
        _engine.HandleTimeout(_now);
        _engine.HandleDatagram(_now, IkeHarness.RightIke, IkeHarness.LeftIke, input);
        Drain(_engine, context);
        int sas = _engine.IkeSas.Count + _engine.Ikev1.Sas.Count;
        context.Feature($"sas:{sas}");
        FuzzContext.Check(sas <= MaxSasPerPeer, $"one unauthenticated peer holds {sas} SAs (bound {MaxSasPerPeer})");
    }
}

/// <summary>
/// <c>ikev2-initiator</c>: responses to an initiator's IKE_SA_INIT (the SPIi of the live SA patched in), the other
/// half of what an unauthenticated peer can send.
/// </summary>
internal sealed class InitiatorTarget : EngineTarget
{
    private IkeEngine? _engine;
    private DateTimeOffset _now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private int _inputs;

    protected override void RunInput(byte[] input, FuzzContext context)
    {
        if (_engine is null || ++_inputs % 2000 == 0)
            _engine = new IkeEngine(IkeHarness.Config(2, left: true, "aes128gcm16-prfsha256-ecp256", "aes128gcm16"), new IkeEngineOptions(), NewLogger());
        _now += TimeSpan.FromSeconds(1);
        _engine.HandleTimeout(_now);
        IkeSa? sa = _engine.IkeSas.FirstOrDefault(s => s.State != IkeSaState.Established);
        if (sa is null)
        {
            _engine.Initiate(_now, "net", out _);
            Drain(_engine, context);
            sa = _engine.IkeSas.FirstOrDefault(s => s.State != IkeSaState.Established);
            if (sa is null) return;
        }
        byte[] datagram = input.Length >= 16 && (input[16 % input.Length] & 1) == 0 ? WithSpis(input, sa.InitiatorSpi, BinaryPrimitives.ReadUInt64BigEndian(input.AsSpan(8))) : input;
        _engine.HandleDatagram(_now, IkeHarness.LeftIke, IkeHarness.RightIke, datagram);
        Drain(_engine, context);
        context.Feature($"state:{sa.State}");
        FuzzContext.Check(_engine.IkeSas.Count <= 4, $"the initiator holds {_engine.IkeSas.Count} IKE SAs after answers to one request");
    }
}

/// <summary>
/// <c>ikev2-forged</c> and <c>ikev1-forged</c>: an established pair; each input is a datagram (the live SPIs or
/// cookies patched in) to the responder or the initiator, from the peer's address. Without the SA's keys nothing
/// may change: the established SAs and their CHILD SAs stay exactly as they were (no DELETE, rekey or update is
/// accepted from a forged or replayed message, INFORMATIONAL only under the SA's keys).
/// </summary>
internal sealed class ForgedTarget(int version) : EngineTarget
{
    private IkeHarness? _pair;
    private string _left = "", _right = "";
    private (ulong I, ulong R) _spis;
    private int _inputs;

    private void Setup()
    {
        _pair = new IkeHarness(version, version == 1 ? "aes128-sha256-modp2048" : "aes128gcm16-prfsha256-ecp256",
            version == 1 ? "aes128-sha256" : "aes128gcm16", NewLogger(), NewLogger());
        Current = null; // the set-up's own log lines are not the input's behaviour
        if (!_pair.Establish()) throw new InvalidOperationException("the pair did not establish");
        _left = IkeHarness.Snapshot(_pair.Left, establishedOnly: true);
        _right = IkeHarness.Snapshot(_pair.Right, establishedOnly: true);
        _spis = version == 1
            ? (_pair.Left.Ikev1.Sas.First().InitiatorCookie, _pair.Left.Ikev1.Sas.First().ResponderCookie)
            : (IkeHarness.Established(_pair.Left)!.InitiatorSpi, IkeHarness.Established(_pair.Left)!.ResponderSpi);
    }

    protected override void RunInput(byte[] input, FuzzContext context)
    {
        if (_pair is null || ++_inputs % 20000 == 0)
        {
            FuzzContext? saved = Current;
            Setup();
            Current = saved;
        }
        // IKEv2: requests go to the responder, responses to the initiator; IKEv1 has no such flag: even lengths go to the responder.
        bool toRight = version == 2 ? !(input.Length > 19 && (input[19] & 0x20) != 0) : input.Length % 2 == 0;
        byte[] datagram = input.Length > 0 && input[^1] == 0xEE ? input : WithSpis(input, _spis.I, _spis.R);
        IkeEngine engine = toRight ? _pair!.Right : _pair!.Left;
        engine.HandleDatagram(_pair.Now, toRight ? IkeHarness.RightIke : IkeHarness.LeftIke, toRight ? IkeHarness.LeftIke : IkeHarness.RightIke, datagram);
        Drain(engine, context);
        FuzzContext.Check(IkeHarness.Snapshot(_pair.Left, establishedOnly: true) == _left && IkeHarness.Snapshot(_pair.Right, establishedOnly: true) == _right,
            "an unauthenticated datagram changed an established SA");
    }
}

/// <summary>
/// <c>ikev2-decrypted</c>: what a peer that holds the keys can send. The input is a plaintext payload chain that the
/// harness protects with the established SA's own keys: byte 0 picks the exchange (CREATE_CHILD_SA, INFORMATIONAL,
/// IKE_AUTH, or byte 2 as the type), whether it is a request to the responder or the response to the initiator's
/// outstanding request, whether the request is sent twice, and whether (and in how many pieces) it goes as Encrypted
/// Fragment payloads (then byte 2 perturbs the fragment set); byte 1 is the first inner payload type. Properties:
/// nothing throws, and a request sent again gets the very same response bytes and changes nothing the second time.
/// </summary>
internal sealed class DecryptedTarget : EngineTarget
{
    private IkeHarness? _pair;
    private int _inputs;

    private static readonly ExchangeType[] s_exchanges = [ExchangeType.CreateChildSa, ExchangeType.Informational, ExchangeType.IkeAuth];

    private void Setup()
    {
        FuzzContext? saved = Current;
        Current = null;
        _pair = new IkeHarness(2, "aes128gcm16-prfsha256-ecp256", "aes128gcm16", NewLogger(), NewLogger());
        if (!_pair.Establish()) throw new InvalidOperationException("the pair did not establish");
        Current = saved;
        _inputs = 0;
    }

    protected override void RunInput(byte[] input, FuzzContext context)
    {
        if (input.Length < 2) return;
        if (_pair is null || ++_inputs > 200 || IkeHarness.Established(_pair.Left) is null || IkeHarness.Established(_pair.Right) is null) Setup();
        IkeSa left = IkeHarness.Established(_pair!.Left)!, right = IkeHarness.Established(_pair.Right)!;
        if (left.Protection is null || right.Protection is null) return;
        int selector = input[0];
        ExchangeType exchange = (selector & 3) == 3 ? (ExchangeType)(input.Length > 2 ? input[2] : 37) : s_exchanges[selector & 3];
        bool response = (selector & 4) != 0;
        bool twice = (selector & 8) != 0;
        var first = (PayloadType)input[1];
        ReadOnlySpan<byte> chain = input.AsSpan(2);
        context.Feature($"mode:{exchange}:{response}:{twice}");

        if (!response)
        {
            uint expected = IkeHarness.Field<uint>(right, "_expectedRequestId");
            var header = new IkeHeader(left.InitiatorSpi, left.ResponderSpi, PayloadType.None, IkeHeader.Ikev2Version, exchange, IkeHeaderFlags.Initiator, expected, 0);
            List<byte[]> request = (selector & 0x20) != 0 && chain.Length > 0
                ? Fragments(left.Protection, header, first, chain[0], chain[1..], 2 + (selector >> 6), context)
                : [left.Protection.Seal(header, PayloadType.Encrypted, first, [], chain)];
            foreach (byte[] d in request) _pair.Right.HandleDatagram(_pair.Now, IkeHarness.RightIke, IkeHarness.LeftIke, d);
            List<byte[]> responses = Responses(Drain(_pair.Right, context));
            if (twice && responses.Count > 0 && _pair.Right.IkeSas.Contains(right))
            {
                string before = IkeHarness.Snapshot(_pair.Right, establishedOnly: false);
                foreach (byte[] d in request) _pair.Right.HandleDatagram(_pair.Now, IkeHarness.RightIke, IkeHarness.LeftIke, d);
                List<byte[]> again = Responses(Drain(_pair.Right, context));
                // The cached response, once per unfragmented copy or first fragment of the retransmission (RFC 7383
                // §2.6.1), and nothing else.
                int firsts = request.Count(d => IkeHeader.TryParse(d, out IkeHeader h, out _)
                    && (h.NextPayload != PayloadType.EncryptedFragment || (EncryptedFragmentPayload.TryParse(d, h, out EncryptedFragmentPayload f, out _) && f.FragmentNumber == 1)));
                int distinct = responses.Select(Convert.ToHexString).Distinct().Count();
                FuzzContext.Check(again.Count >= 1 && again.Count <= firsts * distinct && again.All(a => responses.Any(r => r.AsSpan().SequenceEqual(a))),
                    $"a retransmitted {exchange} request did not get the cached response: first {Describe(responses)}, again {Describe(again)}, {firsts} first fragments");
                FuzzContext.Check(IkeHarness.Snapshot(_pair.Right, establishedOnly: false) == before, $"a retransmitted {exchange} request changed state a second time");
            }
        }
        else
        {
            // Make the initiator wait for a response: a CREATE_CHILD_SA (or a liveness check) it sends into the void.
            _pair.Filter = (_, _) => false;
            if ((selector & 16) != 0) left.CheckLiveness(_pair.Now);
            else _pair.Left.Initiate(_pair.Now, "net", out _);
            _pair.Pump();
            _pair.Filter = null;
            uint outstanding = IkeHarness.Field<uint>(left, "_nextRequestId") - 1;
            var header = new IkeHeader(left.InitiatorSpi, left.ResponderSpi, PayloadType.None, IkeHeader.Ikev2Version, exchange, IkeHeaderFlags.Response, outstanding, 0);
            byte[] datagram = right.Protection.Seal(header, PayloadType.Encrypted, first, [], chain);
            _pair.Left.HandleDatagram(_pair.Now, IkeHarness.LeftIke, IkeHarness.RightIke, datagram);
            Drain(_pair.Left, context);
        }
        context.Feature($"after:{left.State}:{right.State}:{left.Children.Count}:{right.Children.Count}");
        _pair.Pump();
    }

    /// <summary>
    /// The request as Encrypted Fragment payloads (RFC 7383) under the SA's keys: <paramref name="count"/> pieces, and
    /// <paramref name="script"/> bits that break the set: reversed order, fragment 1 twice, Total Fragments one too
    /// high (never complete), the last fragment missing, a fragment numbered above the total, a second set with
    /// another total.
    /// </summary>
    private static List<byte[]> Fragments(EncryptedPayload protection, IkeHeader header, PayloadType first, byte script, ReadOnlySpan<byte> chain, int count, FuzzContext context)
    {
        var list = new List<byte[]>();
        int size = Math.Max(1, (chain.Length + count - 1) / count);
        ushort total = (ushort)(count + ((script & 4) != 0 ? 1 : 0));
        for (int i = 0; i < count; i++)
        {
            int from = Math.Min(chain.Length, i * size), to = Math.Min(chain.Length, from + size);
            ushort number = (ushort)(i + 1);
            if ((script & 16) != 0 && i == count - 1) number = (ushort)(total + 1);
            list.Add(EncryptedFragmentPayload.Write(header, number, total, i == 0 ? first : PayloadType.None, chain[from..to], protection));
        }
        if ((script & 8) != 0) list.RemoveAt(list.Count - 1);
        if ((script & 2) != 0) list.Insert(1, list[0]);
        if ((script & 1) != 0) list.Reverse();
        if ((script & 32) != 0) list.Add(EncryptedFragmentPayload.Write(header, 1, (ushort)(total + 3), first, chain, protection));
        context.Feature($"fragments:{count}:{script & 63}");
        return list;
    }

    private static string Describe(List<byte[]> datagrams) => "[" + string.Join(", ", datagrams.Select(d =>
        IkeHeader.TryParse(d, out IkeHeader h, out _) ? $"{h.ExchangeType} #{h.MessageId} {h.Flags} {d.Length} B" : $"{d.Length} B")) + "]";

    private static List<byte[]> Responses(List<byte[]> sent) =>
        [.. sent.Where(d => IkeHeader.TryParse(d, out IkeHeader h, out _) && h.IsResponse)];
}

/// <summary><c>ikev2-message</c>: the IKEv2 header and cleartext payload chain parsers; what parses must encode and parse again alike.</summary>
internal sealed class Ikev2MessageTarget : IFuzzTarget
{
    public void Run(byte[] input, FuzzContext context)
    {
        if (!IkeHeader.TryParse(input, out IkeHeader header, out ParseError error))
        {
            context.Feature($"header:{error.Field}:{error.Reason}");
            return;
        }
        context.Feature($"exchange:{header.ExchangeType}:{header.Flags}");
        MessageError result = IkeMessage.TryDecode(input, header, null, out IkeMessage? message, out error, out PayloadType? critical);
        context.Feature($"result:{result}:{error.Field}:{error.Reason}:{critical}");
        if (message is null) return;
        foreach (Payload p in message.Payloads) context.Feature($"payload:{p.GetType().Name}:{p.Type}");
        byte[] again = message.Encode(null);
        FuzzContext.Check(IkeHeader.TryParse(again, out IkeHeader h2, out _), "a parsed message encodes to a header that does not parse");
        MessageError r2 = IkeMessage.TryDecode(again, h2, null, out IkeMessage? m2, out ParseError e2, out _);
        FuzzContext.Check(r2 == MessageError.None && m2!.Payloads.Select(p => p.Type).SequenceEqual(message.Payloads.Select(p => p.Type)),
            $"a parsed message re-encodes to one that does not parse alike ({r2}: {e2.Field} {e2.Reason})");
    }
}

/// <summary><c>ikev1-message</c>: the ISAKMP header and cleartext payload parsers.</summary>
internal sealed class Ikev1MessageTarget : IFuzzTarget
{
    public void Run(byte[] input, FuzzContext context)
    {
        if (!Portcullis.Core.Ikev1.Wire.IsakmpHeader.TryParse(input, out var header, out ParseError error))
        {
            context.Feature($"header:{error.Field}:{error.Reason}");
            return;
        }
        context.Feature($"exchange:{header.ExchangeType}:{header.IsEncrypted}");
        if (!Portcullis.Core.Ikev1.Wire.IsakmpMessage.TryDecode(input, header, null, [], out var message, out _, out error))
        {
            context.Feature($"decode:{error.Field}:{error.Reason}");
            return;
        }
        foreach (var p in message!.Payloads) context.Feature($"payload:{p.GetType().Name}");
    }
}
