using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev1;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;

namespace Portcullis.Fuzz.Targets;

/// <summary>
/// <c>ikev1-decrypted</c>: what an IKEv1 peer holding the ISAKMP SA's keys can send after phase 1. The input is a
/// payload chain that the harness puts behind a correct HASH(1) (prf(SKEYID_a, M-ID | rest), RFC 2409 §5.5 and §5.7)
/// and encrypts with the SA's key and the phase 2 IV of a fresh message ID, so the fuzzer reaches Informational,
/// Quick Mode and Transaction handling past authentication. Byte 0 picks the exchange (Informational, Quick Mode,
/// Transaction, or byte 2 as the type), byte 1 the first payload after HASH.
/// </summary>
internal sealed class Ikev1DecryptedTarget : EngineTarget
{
    private IkeHarness? _pair;
    private int _inputs;
    private uint _messageId = 0x1000;

    private static readonly IsakmpExchangeType[] s_exchanges = [IsakmpExchangeType.Informational, IsakmpExchangeType.QuickMode, IsakmpExchangeType.Transaction];

    private static IsakmpSa? Up(IkeEngine engine) => engine.Ikev1.Sas.FirstOrDefault(s => s.State == IsakmpSaState.Established);

    protected override void RunInput(byte[] input, FuzzContext context)
    {
        if (input.Length < 2) return;
        if (_pair is null || ++_inputs > 200 || Up(_pair.Left) is null || Up(_pair.Right) is null)
        {
            FuzzContext? saved = Current;
            Current = null;
            _pair = new IkeHarness(1, "aes128-sha256-modp2048", "aes128-sha256", NewLogger(), NewLogger());
            if (!_pair.Establish()) throw new InvalidOperationException("the IKEv1 pair did not establish");
            Current = saved;
            _inputs = 0;
        }
        IsakmpSa right = Up(_pair.Right)!;
        var encryption = IkeHarness.Field<IsakmpEncryption>(right, "_encryption");
        object choice = IkeHarness.Field<object>(right, "_choice");
        var prf = (PrfTransform)choice.GetType().GetProperty("Prf")!.GetValue(choice)!;
        var keys = IkeHarness.Field<Portcullis.Core.Crypto.Kdf.Ikev1SaKeys>(right, "_keys");
        byte[] lastPhase1Block = IkeHarness.Field<byte[]>(right, "_lastPhase1Block");

        IsakmpExchangeType exchange = (input[0] & 3) == 3 ? (IsakmpExchangeType)(input.Length > 2 ? input[2] : 5) : s_exchanges[input[0] & 3];
        ReadOnlySpan<byte> chain = input.AsSpan(2);
        uint mid = ++_messageId;
        byte[] hash = Ikev1Hashes.Hash1(prf, keys.SkeyIdA.ReadOnlySpan, mid, chain);
        byte[] plain = [input[1], 0, (byte)((4 + hash.Length) >> 8), (byte)(4 + hash.Length), .. hash, .. chain];
        byte[] iv = Ikev1Hashes.Phase2Iv(prf.Hash!.Value, lastPhase1Block, mid, encryption.BlockSize);
        var header = new IsakmpHeader(right.InitiatorCookie, right.ResponderCookie, IsakmpPayloadType.Hash, 0x10, exchange, IsakmpFlags.Encryption, mid, 0);
        byte[] datagram = encryption.Encrypt(header, plain, iv);
        context.Feature($"exchange:{exchange}");
        _pair.Right.HandleDatagram(_pair.Now, IkeHarness.RightIke, IkeHarness.LeftIke, datagram);
        Drain(_pair.Right, context);
        context.Feature($"after:{right.State}:{right.Children.Count}");
        _pair.Pump();
    }
}
