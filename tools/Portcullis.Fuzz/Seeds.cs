using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Portcullis.Core.Eap;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.L2tp;
using Portcullis.Core.Ppp;
using Portcullis.Fuzz.Targets;

namespace Portcullis.Fuzz;

/// <summary>
/// Writes the seed corpus (tests/fuzz/corpus/TARGET/*.bin) from real exchanges between Portcullis engines in one
/// process: IKEv2 with three suites (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, DELETE), IKEv1 Main and
/// Quick Mode, ESP packets, an L2TP LAC–LNS conversation with data, a PPP client–server conversation, EAP-MSCHAPv2
/// packets, certificates and a CRL, and configuration texts.
/// </summary>
public static class Seeds
{
    public static void WriteAll(string corpus, TextWriter log)
    {
        var files = new Dictionary<string, List<byte[]>>();
        void Add(string target, byte[] data)
        {
            if (!files.TryGetValue(target, out List<byte[]>? list)) files[target] = list = [];
            if (!list.Any(d => d.AsSpan().SequenceEqual(data))) list.Add(data);
        }

        foreach ((string ike, string esp) in new[] { ("aes128gcm16-prfsha256-ecp256", "aes128gcm16"), ("aes256-sha256-modp2048", "aes256-sha256"), ("chacha20poly1305-prfsha256-curve25519", "chacha20poly1305") })
            Ikev2(ike, esp, Add);
        Ikev1(Add);
        foreach (byte[] p in EspTarget.GenuinePackets(8))
        {
            Add("esp", p);
            Add("udp-4500", p); // UDP-encapsulated ESP is the ESP packet itself (RFC 3948 §2.1)
        }
        foreach (byte[] p in AhTarget.GenuinePackets(6)) Add("ah", p);
        Add("udp-4500", [0xFF]); // NAT-keepalive
        Add("udp-4500", [0, 0, 0, 0]); // a marker with nothing behind it
        Vici(Add);
        L2tp(Add);
        Ppp(Add);
        Eap(Add);
        X509(Add);
        Texts(Add);

        foreach ((string target, List<byte[]> inputs) in files)
        {
            string dir = Path.Combine(corpus, target);
            Directory.CreateDirectory(dir);
            for (int i = 0; i < inputs.Count; i++) File.WriteAllBytes(Path.Combine(dir, $"seed-{i:D3}.bin"), inputs[i]);
            log.WriteLine($"{target}: {inputs.Count} seeds");
        }
    }

    private static void Ikev2(string ike, string esp, Action<string, byte[]> add)
    {
        var pair = new IkeHarness(2, ike, esp, NullLogger.Instance, NullLogger.Instance);
        pair.Filter = (fromLeft, data) =>
        {
            add("ikev2-message", data);
            if (ike.StartsWith("aes128gcm16", StringComparison.Ordinal)) add("udp-4500", [0, 0, 0, 0, .. data]); // as on port 4500
            add(fromLeft ? "ikev2-responder" : "ikev2-initiator", data);
            add("ikev2-forged", data);
            if (IkeHeader.TryParse(data, out IkeHeader h, out _) && h.ExchangeType != ExchangeType.IkeSaInit
                && (fromLeft ? pair.Right : pair.Left).IkeSas.FirstOrDefault(s => s.InitiatorSpi == h.InitiatorSpi) is { Protection: { } protection }
                && Decrypt(protection, data, h) is { } inner)
            {
                int exchange = h.ExchangeType switch { ExchangeType.CreateChildSa => 0, ExchangeType.Informational => 1, _ => 2 };
                // Requests from left go to the responder as requests; responses from right answer left's request.
                if (fromLeft && !h.IsResponse)
                {
                    add("ikev2-decrypted", [(byte)exchange, (byte)inner.First, .. inner.Chain]);
                    add("ikev2-decrypted", [(byte)(exchange | 8), (byte)inner.First, .. inner.Chain]);
                    add("ikev2-decrypted", [(byte)(exchange | 8 | 0x20 | 0x40), (byte)inner.First, 0, .. inner.Chain]); // in 3 fragments
                }
                else if (!fromLeft && h.IsResponse) add("ikev2-decrypted", [(byte)(exchange | 4 | (exchange == 1 ? 16 : 0)), (byte)inner.First, .. inner.Chain]);
            }
            return true;
        };
        if (!pair.Establish()) throw new InvalidOperationException($"IKEv2 {ike} did not establish");
        pair.Left.Initiate(pair.Now, "net", out _);
        pair.Drive(TimeSpan.FromSeconds(5));
        IkeHarness.Established(pair.Left)!.CheckLiveness(pair.Now);
        pair.Drive(TimeSpan.FromSeconds(5));
        pair.Left.TerminateAll(pair.Now, "seed");
        pair.Drive(TimeSpan.FromSeconds(5));
    }

    private static (PayloadType First, byte[] Chain)? Decrypt(EncryptedPayload protection, byte[] data, IkeHeader h)
    {
        var payloads = new List<Payload>();
        if (h.Length > data.Length || !Payload.TryParseChain(h.NextPayload, data.AsSpan(IkeHeader.Size, (int)h.Length - IkeHeader.Size), payloads, out EncryptedBody? sk, out _, out _) || sk is null)
            return null;
        return protection.TryUnprotect(data, sk.Value, out byte[] inner, out _) ? (sk.Value.FirstInner, inner) : null;
    }

    private static void Ikev1(Action<string, byte[]> add)
    {
        var pair = new IkeHarness(1, "aes128-sha256-modp2048", "aes128-sha256", NullLogger.Instance, NullLogger.Instance);
        pair.Filter = (fromLeft, data) =>
        {
            add("ikev1-message", data);
            add("udp-4500", [0, 0, 0, 0, .. data]);
            if (fromLeft) add("ikev1-responder", data);
            // The forged target sends even lengths to the responder, odd ones to the initiator.
            bool even = data.Length % 2 == 0;
            add("ikev1-forged", even == fromLeft ? data : [.. data, 0]);
            if (fromLeft && Ikev1Plaintext(pair.Right, data) is { } seed) add("ikev1-decrypted", seed);
            return true;
        };
        if (!pair.Establish()) throw new InvalidOperationException("IKEv1 did not establish");
        pair.Left.TerminateAll(pair.Now, "seed");
        pair.Drive(TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// The payloads after HASH of a protected phase 2 message (the first of its exchange, whose IV derives from the
    /// message ID), as an <c>ikev1-decrypted</c> input: exchange selector, first payload type after HASH, the chain.
    /// </summary>
    private static byte[]? Ikev1Plaintext(IkeEngine receiver, byte[] data)
    {
        if (!Portcullis.Core.Ikev1.Wire.IsakmpHeader.TryParse(data, out var h, out _) || !h.IsEncrypted || h.MessageId == 0) return null;
        var sa = receiver.Ikev1.Sas.FirstOrDefault(s => s.InitiatorCookie == h.InitiatorCookie && s.State == Portcullis.Core.Ikev1.IsakmpSaState.Established);
        if (sa is null) return null;
        var encryption = IkeHarness.Field<Portcullis.Core.Ikev1.Wire.IsakmpEncryption>(sa, "_encryption");
        object choice = IkeHarness.Field<object>(sa, "_choice");
        var prf = (Portcullis.Core.Crypto.Registry.PrfTransform)choice.GetType().GetProperty("Prf")!.GetValue(choice)!;
        byte[] iv = Portcullis.Core.Ikev1.Ikev1Hashes.Phase2Iv(prf.Hash!.Value, IkeHarness.Field<byte[]>(sa, "_lastPhase1Block"), h.MessageId, encryption.BlockSize);
        if (!encryption.TryDecrypt(data, h, iv, out byte[] plain, out _, out _) || plain.Length < 4) return null;
        int hashLength = (plain[2] << 8) | plain[3];
        if (h.NextPayload != Portcullis.Core.Ikev1.Wire.IsakmpPayloadType.Hash || hashLength < 4 || hashLength > plain.Length) return null;
        // The chain ends where its last payload says (the rest is padding).
        int end = hashLength;
        for (byte next = plain[0]; next != 0 && end + 4 <= plain.Length;)
        {
            int length = (plain[end + 2] << 8) | plain[end + 3];
            if (length < 4 || end + length > plain.Length) return null;
            next = plain[end];
            end += length;
        }
        int selector = h.ExchangeType switch
        {
            Portcullis.Core.Ikev1.Wire.IsakmpExchangeType.Informational => 0,
            Portcullis.Core.Ikev1.Wire.IsakmpExchangeType.QuickMode => 1,
            Portcullis.Core.Ikev1.Wire.IsakmpExchangeType.Transaction => 2,
            _ => 3,
        };
        return [(byte)selector, plain[0], .. plain.AsSpan(hashLength, end - hashLength)];
    }

    private static void L2tp(Action<string, byte[]> add)
    {
        var server = new L2tpServer(L2tpServerTarget.ServerOptions(1), NullLogger.Instance);
        var random = new Random(7);
        var client = new L2tpClient(new L2tpOptions { HostName = "lac.example", Random = s => random.NextBytes(s) }, NullLogger.Instance);
        DateTimeOffset now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var conversation = new List<byte[]>();
        void Pump()
        {
            for (int i = 0; i < 100; i++)
            {
                bool any = false;
                while (client.TryDequeueTransmit(out L2tpTransmit? t))
                {
                    any = true;
                    conversation.Add(t.Data);
                    add("l2tp-message", t.Data);
                    if (server.TryDecapsulateData(L2tpServerTarget.Client, t.Data, out _, out _, out _)) continue;
                    server.HandleDatagram(now, L2tpServerTarget.Server, L2tpServerTarget.Client, t.Data);
                }
                while (server.TryDequeueTransmit(out L2tpTransmit? t))
                {
                    any = true;
                    add("l2tp-message", t.Data);
                    client.HandleDatagram(now, L2tpServerTarget.Client, L2tpServerTarget.Server, t.Data);
                }
                while (client.TryDequeueEvent(out _)) { }
                while (server.TryDequeueEvent(out _)) { }
                if (!any) return;
            }
        }
        L2tpTunnel tunnel = client.Connect(now, L2tpServerTarget.Client, L2tpServerTarget.Server);
        Pump();
        L2tpSession session = client.OpenSession(now, tunnel);
        Pump();
        add("l2tp-lns", FrameSplitter.Join(conversation));
        byte[] ppp = [0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 8, 1, 4, 5, 0x78];
        byte[] data = new byte[L2tpEngine.MaxDataHeaderSize + ppp.Length];
        if (client.TryEncapsulateData(session, ppp, data, out int written))
        {
            conversation.Add(data[..written]);
            add("l2tp-message", data[..written]);
        }
        client.CloseSession(now, session, "seed");
        Pump();
        client.CloseTunnel(now, tunnel, "seed");
        Pump();
        add("l2tp-lns", FrameSplitter.Join(conversation));
    }

    private static void Ppp(Action<string, byte[]> add)
    {
        foreach (PppAuthenticationProtocol protocol in new[] { PppAuthenticationProtocol.MsChapV2, PppAuthenticationProtocol.ChapMd5, PppAuthenticationProtocol.Pap })
        {
            using var server = new PppSession(PppServerTarget.ServerOptions(0x10) with { AuthenticationProtocols = [protocol] }, NullLogger.Instance);
            byte counter = 0x80;
            using var client = new PppSession(new PppOptions
            {
                Role = PppRole.Client,
                Name = "cli",
                UserName = "alice",
                Password = "correct horse"u8.ToArray(),
                AuthenticationProtocols = [protocol],
                Random = s => { for (int i = 0; i < s.Length; i++) s[i] = ++counter; },
            }, NullLogger.Instance);
            DateTimeOffset now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
            var fromClient = new List<byte[]>();
            server.Start(now);
            client.Start(now);
            for (int i = 0; i < 200; i++)
            {
                bool any = false;
                while (client.TryDequeueFrame(out byte[] f)) { any = true; fromClient.Add(f); add("ppp-packets", f); server.HandleFrame(now, f); }
                while (server.TryDequeueFrame(out byte[] f)) { any = true; add("ppp-packets", f); client.HandleFrame(now, f); }
                while (client.TryDequeueEvent(out _)) { }
                while (server.TryDequeueEvent(out _)) { }
                if (!any) break;
            }
            byte[] ip = new byte[32];
            ip[0] = 0x45;
            byte[] frame = new byte[ip.Length + PppSession.IpFrameOverhead];
            int n = PppSession.WrapIpPacket(ip, frame);
            fromClient.Add(frame[..n]);
            add("ppp-lns", FrameSplitter.Join(fromClient));
        }
    }

    /// <summary>
    /// VICI requests built with the encoder in the shapes swanctl 5.9 sends (the corpus also holds streams captured from
    /// Debian's swanctl itself, swanctl-*.bin).
    /// </summary>
    private static void Vici(Action<string, byte[]> add)
    {
        var conn = new Portcullis.Core.Vici.ViciMessage();
        var gw = conn.AddSection("gw");
        gw.Add("version", "2").AddList("local_addrs", ["192.0.2.1"]).AddList("remote_addrs", ["192.0.2.2"]).AddList("proposals", ["aes128gcm16-prfsha256-ecp256"]);
        gw.AddSection("local").Add("auth", "psk").Add("id", "@left.example");
        gw.AddSection("remote").Add("auth", "psk").Add("id", "@right.example");
        var child = gw.AddSection("children").AddSection("net");
        child.AddList("local_ts", ["198.18.1.0/24"]).AddList("remote_ts", ["198.18.2.0/24"]).AddList("esp_proposals", ["aes128gcm16"]);
        var pool = new Portcullis.Core.Vici.ViciMessage();
        pool.AddSection("rw").Add("addrs", "198.18.100.0/24").AddList("dns", ["198.18.0.53"]);
        var shared = new Portcullis.Core.Vici.ViciMessage().Add("id", "ike-a").Add("type", "ike").Add("data", "a secret").AddList("owners", ["@left.example"]);
        byte[][] requests =
        [
            ViciSessionTarget.Request("load-conn", conn),
            ViciSessionTarget.Request("load-pool", pool),
            ViciSessionTarget.Request("load-shared", shared),
            new Portcullis.Core.Vici.ViciPacket(Portcullis.Core.Vici.ViciPacketType.EventRegister, "list-sa", []).ToSegment(),
            ViciSessionTarget.Request("list-sas", new Portcullis.Core.Vici.ViciMessage().Add("ike", "gw")),
            new Portcullis.Core.Vici.ViciPacket(Portcullis.Core.Vici.ViciPacketType.EventUnregister, "list-sa", []).ToSegment(),
            ViciSessionTarget.Request("initiate", new Portcullis.Core.Vici.ViciMessage().Add("child", "net").Add("timeout", "0")),
        ];
        foreach (byte[] r in requests)
        {
            add("vici-packet", r);
            add("vici-session", r);
        }
        add("vici-session", [.. requests.SelectMany(r => r)]);
    }

    private static void Eap(Action<string, byte[]> add)
    {
        byte[] challenge = [.. Enumerable.Range(1, 16).Select(i => (byte)i)];
        add("eap", EapPacket.Request(1, EapType.Identity, []).ToArray());
        add("eap", EapPacket.Response(1, EapType.Identity, "alice"u8).ToArray());
        add("eap", EapPacket.Request(2, EapType.MsChapV2, EapMsChapV2Packet.Challenge(7, challenge, "srv"u8).ToArray()).ToArray());
        add("eap", EapPacket.Response(2, EapType.MsChapV2, EapMsChapV2Packet.Response(7, challenge, new byte[24], "alice"u8).ToArray()).ToArray());
        add("eap", EapPacket.Request(3, EapType.MsChapV2, EapMsChapV2Packet.SuccessRequest(7, "S=0123456789ABCDEF0123456789ABCDEF01234567 M=hi"u8).ToArray()).ToArray());
        add("eap", EapPacket.Request(3, EapType.MsChapV2, EapMsChapV2Packet.FailureRequest(7, "E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=no"u8).ToArray()).ToArray());
        add("eap", EapPacket.Success(4).ToArray());
        add("eap", EapPacket.Failure(4).ToArray());
    }

    private static void X509(Action<string, byte[]> add)
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=Fuzz CA, O=Portcullis", ec, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("vpn.example.org");
        san.AddIpAddress(IPAddress.Parse("192.0.2.1"));
        san.AddEmailAddress("a@example.org");
        req.CertificateExtensions.Add(san.Build());
        using X509Certificate2 ca = req.CreateSelfSigned(start, start.AddYears(10));
        add("x509", ca.RawData);
        using var rsa = RSA.Create(2048);
        var rreq = new CertificateRequest("CN=client.example", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rreq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        using X509Certificate2 leaf = rreq.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(ec), start, start.AddYears(1), [1, 2, 3, 4]);
        add("x509", leaf.RawData);
        var crl = new CertificateRevocationListBuilder();
        crl.AddEntry([1, 2, 3, 4], start.AddDays(1));
        add("x509", crl.Build(ca, 1, start.AddDays(30), HashAlgorithmName.SHA256, null, start.AddDays(2)));
    }

    private static void Texts(Action<string, byte[]> add)
    {
        string? example = FindRepoFile("packaging/swanctl.conf.example");
        if (example is not null) add("swanctl-conf", File.ReadAllBytes(example));
        add("swanctl-conf", Encoding.UTF8.GetBytes("""
            connections {
              gw {
                version = 2
                local_addrs = 192.0.2.1
                remote_addrs = 192.0.2.2
                proposals = aes256gcm16-prfsha384-ecp384, default
                fragmentation = yes
                dpd_delay = 30s
                pools = rw
                local { auth = psk
                  id = @left.example }
                remote { auth = eap-mschapv2
                  eap_id = %any }
                children {
                  net { local_ts = 198.18.1.0/24, dynamic[udp/1701]
                    remote_ts = 198.18.2.0/24
                    esp_proposals = aes128gcm16-ecp256
                    rekey_bytes = 1g
                    start_action = trap }
                }
              }
              l2 { version = 1
                aggressive = yes
                local-2 { auth = xauth
                  xauth_id = alice }
                children { l2tp { mode = transport } } }
            }
            pools { rw { addrs = 198.18.100.0/24
                dns = 198.18.0.53 } }
            l2tp { pools = rw
              local_ip = 198.18.101.1
              auth = mschapv2 }
            secrets {
              ike-a { id-1 = @left.example
                secret = "a secret" }
              eap-alice { id = alice
                secret = 0x0102030405 }
            }
            include conf.d/*.conf
            """));
        add("strongswan-conf", Encoding.UTF8.GetBytes("""
            charon {
              retransmit_tries = 5
              retransmit_timeout = 4.5
              retransmit_base = 1.8
              half_open_timeout = 30
              fragment_size = 1280
              dos_protection = yes
              cookie_threshold = 10
              block_threshold = 5
              init_limit_half_open = 0
              plugins { openssl { load = yes } }
              filelog { stderr { default = 1 } }
            }
            """));
        foreach (string p in new[] { "aes256gcm16-prfsha384-ecp384", "aes128-sha256-modp2048", "default", "chacha20poly1305-prfsha256-curve25519-ke1_mlkem768",
                     "aes256ctr-aes256-aes192ctr-sha512-sha384-prfsha512-modp4096-curve25519", "aes128gcm16-aes128ccm12!", "3des-md5-modp1024", "null-sha1" })
            add("proposals", Encoding.UTF8.GetBytes(p));
        add("control-request", """{"command":"list-sas"}"""u8.ToArray());
        add("control-request", """{"command":"initiate","args":{"child":"net","ike":"gw"}}"""u8.ToArray());
        add("control-request", """{"command":"terminate","args":{"ike":"gw[3]"}}"""u8.ToArray());
    }

    private static string? FindRepoFile(string relative)
    {
        for (string? d = AppContext.BaseDirectory; d is not null; d = Path.GetDirectoryName(d))
            if (File.Exists(Path.Combine(d, relative))) return Path.Combine(d, relative);
        return null;
    }
}
