using System.Reflection;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using static Portcullis.Core.Tests.Ikev2.EnginePair;
using static Portcullis.Core.Tests.Ikev2.Ikev2EstablishTests;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>Garbage, truncated and bit-flipped datagrams must never make the engine throw. Fixed seeds.</summary>
public class Ikev2FuzzTests
{
    internal static byte[] Mutate(byte[] data, Random rng)
    {
        byte[] m = (byte[])data.Clone();
        switch (rng.Next(8))
        {
            case 0: // flip a few bits
                for (int i = rng.Next(1, 4); i > 0 && m.Length > 0; i--) m[rng.Next(m.Length)] ^= (byte)(1 << rng.Next(8));
                return m;
            case 1: // truncate (the header length still claims the original)
                return m[..rng.Next(m.Length)];
            case 2: // truncate and fix the header length
                {
                    int n = rng.Next(Math.Min(28, m.Length), m.Length + 1);
                    m = m[..n];
                    if (n >= 28) System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(24), (uint)n);
                    return m;
                }
            case 3: // a random header byte
                if (m.Length > 0) m[rng.Next(Math.Min(28, m.Length))] = (byte)rng.Next(256);
                return m;
            case 4: // a random 16-bit field in the payloads (lengths, counts, types)
                if (m.Length > 30) { int at = rng.Next(28, m.Length - 1); m[at] = (byte)rng.Next(256); m[at + 1] = (byte)rng.Next(256); }
                return m;
            case 5: // trailing garbage
                {
                    var extra = new byte[rng.Next(1, 40)];
                    rng.NextBytes(extra);
                    return [.. m, .. extra];
                }
            case 6: // random bytes behind a plausible header
                {
                    var r = new byte[rng.Next(0, 200)];
                    rng.NextBytes(r);
                    if (r.Length >= 28 && m.Length >= 28) { m.AsSpan(0, 24).CopyTo(r); System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(r.AsSpan(24), (uint)r.Length); }
                    return r;
                }
            default: // a random next-payload type in the header or the first payload
                if (m.Length > 28) m[rng.Next(2) == 0 ? 16 : 28] = (byte)rng.Next(256);
                return m;
        }
    }

    [Theory]
    [InlineData(1, "aes128gcm16-prfsha256-ecp256", "aes128gcm16")]
    [InlineData(2, "aes256-sha256-modp2048", "aes256-sha256")]
    [InlineData(3, "chacha20poly1305-prfsha256-curve25519", "chacha20poly1305")]
    public void Mutated_handshake_messages_never_throw(int seed, string ike, string esp)
    {
        var rng = new Random(seed);
        int mutated = 0;
        for (int round = 0; round < 15; round++)
        {
            var pair = Create(ike, esp);
            int budget = 200;
            pair.Intercept = p =>
            {
                if (budget <= 0 || p.IsKeepalive) return [p];
                var list = new List<Packet>();
                for (int i = 0; i < 20 && budget > 0; i++, budget--, mutated++) list.Add(p with { Data = Mutate(p.Data, rng) });
                list.Add(p);
                return list;
            };
            pair.Establish(horizon: TimeSpan.FromMinutes(4));
            pair.Left.TerminateAll(pair.Now, "done");
            pair.Right.TerminateAll(pair.Now, "done");
            pair.Drive(TimeSpan.FromMinutes(4));
        }
        Assert.True(mutated > 1000, $"only {mutated} mutations delivered");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Mutations_of_every_message_against_established_engines_never_throw(int seed)
    {
        var rng = new Random(seed);
        var pair = Create();
        pair.Establish();
        Assert.True(pair.Left.Initiate(pair.Now, "net", out _)); // a CREATE_CHILD_SA too
        pair.Drive();
        pair.Left.IkeSas.Single().CheckLiveness(pair.Now);
        pair.Drive();
        Packet[] recorded = pair.Sent.ToArray();
        for (int i = 0; i < 3000; i++)
        {
            Packet p = recorded[rng.Next(recorded.Length)];
            pair.Inject(p with { Data = Mutate(p.Data, rng) });
            if (i % 100 == 0) pair.Drive(TimeSpan.Zero);
        }
        pair.Drive(TimeSpan.FromMinutes(1));
        // The IKE SA survives garbage (integrity checks drop it) and still works.
        IkeSa left = Assert.Single(pair.Left.IkeSas, s => s.State == IkeSaState.Established);
        left.CheckLiveness(pair.Now);
        pair.Drive();
        Assert.Equal(IkeSaState.Established, left.State);
    }

    private static T Field<T>(object o, string name) =>
        (T)o.GetType().GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(o)!;

    /// <summary>Payload chains built from real payloads whose bodies are mutated, then encrypted with the real keys.</summary>
    private static List<Payload> MutatedChain(Random rng)
    {
        Payload[] samples = Ikev2WireTests.Samples().ToArray();
        var chain = new List<Payload>();
        for (int i = rng.Next(0, 6); i > 0; i--)
        {
            Payload s = samples[rng.Next(samples.Length)];
            var body = new byte[s.BodyLength];
            s.WriteBody(body);
            if (rng.Next(3) > 0) body = Mutate([.. new byte[28], .. body], rng) is var m && m.Length >= 28 ? m[28..] : [];
            chain.Add(new UnknownPayload(s.Type, body, rng.Next(4) == 0));
        }
        return chain;
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void Authenticated_garbage_requests_and_responses_never_throw(int seed)
    {
        var rng = new Random(seed);
        ExchangeType[] exchanges = [ExchangeType.CreateChildSa, ExchangeType.Informational, ExchangeType.IkeAuth];
        int rounds = 0, pairs = 0;
        while (rounds < 600)
        {
            pairs++;
            var pair = Create("aes128gcm16-prfsha256-ecp256", "aes128gcm16-ecp256,aes128gcm16");
            pair.Establish();
            (IkeSa li, IkeSa ri) = AssertIkePair(pair);
            for (; rounds < 600; rounds++)
            {
                if (ri.State != IkeSaState.Established || li.State != IkeSaState.Established) return;
                Round(rng, pair, li, ri, exchanges);
            }
        }
        Assert.True(pairs < 300, $"{pairs} IKE SAs for 600 rounds: most garbage should not kill the SA");
    }

    private static void Round(Random rng, EnginePair pair, IkeSa li, IkeSa ri, ExchangeType[] exchanges)
    {
        {
            // A request from left to right, with the message ID right expects, protected with left's keys.
            uint expected = Field<uint>(ri, "_expectedRequestId");
            var header = new IkeHeader(li.InitiatorSpi, li.ResponderSpi, PayloadType.None, IkeHeader.Ikev2Version, exchanges[rng.Next(3)],
                IkeHeaderFlags.Initiator, expected, 0);
            byte[] request = new IkeMessage(header, MutatedChain(rng)).Encode(li.Protection);
            pair.Inject(new Packet(Side.Left, li.LocalEndpoint, li.RemoteEndpoint, request, false));
            pair.Drive(TimeSpan.Zero);
            if (ri.State != IkeSaState.Established || li.State != IkeSaState.Established) return;

            // A response from right to left's outstanding CREATE_CHILD_SA, protected with right's keys.
            Assert.True(pair.Left.Initiate(pair.Now, "net", out _));
            pair.Intercept = _ => [];
            pair.Drive(TimeSpan.Zero);
            pair.Intercept = null;
            uint outstanding = Field<uint>(li, "_nextRequestId") - 1;
            var rh = new IkeHeader(li.InitiatorSpi, li.ResponderSpi, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.CreateChildSa,
                IkeHeaderFlags.Response, outstanding, 0);
            byte[] response = new IkeMessage(rh, MutatedChain(rng)).Encode(ri.Protection);
            pair.Inject(new Packet(Side.Right, ri.LocalEndpoint, ri.RemoteEndpoint, response, false));
            pair.Drive(TimeSpan.Zero);
        }
    }
}
