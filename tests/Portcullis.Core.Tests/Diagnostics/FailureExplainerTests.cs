using Portcullis.Core.Diagnostics;

namespace Portcullis.Core.Tests.Diagnostics;

public sealed class FailureExplainerTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 2, 31, 5, TimeSpan.Zero);

    private static NegotiationFailure Failure(int id, params (string Key, string Value)[] fields) =>
        new(At, id, "the raw log line", fields.ToDictionary(f => f.Key, f => f.Value));

    [Fact]
    public void A_refused_ike_proposal_names_both_lists_the_nearest_match_and_the_missing_transform_type()
    {
        NegotiationFailure f = Failure(102, ("Conn", "gw"), ("Uid", "3"), ("Received", "aes128gcm16-prfsha256-ecp256"),
            ("Configured", "aes256-sha256-modp2048-prfsha256, aes256gcm16-prfsha384-ecp384"), ("TransformType", "ENCRYPTION_ALGORITHM"),
            ("Lacking", "connection gw lacks ENCR_AES_GCM_16_128 that the peer offered"));
        string text = FailureExplainer.Explain([f], null);
        Assert.Equal("""
            2026-11-22 02:31:05Z gw[3]: this side refused the peer's IKE proposals and answered NO_PROPOSAL_CHOSEN.
              the peer offered:        aes128gcm16-prfsha256-ecp256
              this side accepts:       aes256-sha256-modp2048-prfsha256, aes256gcm16-prfsha384-ecp384
              nearest match:           aes256-sha256-modp2048-prfsha256 against aes128gcm16-prfsha256-ecp256: differ in encryption algorithm (aes256 here, aes128gcm16 offered), integrity algorithm (sha256 here, none offered), key exchange group (modp2048 here, ecp256 offered)
              missing transform type:  ENCRYPTION_ALGORITHM (connection gw lacks ENCR_AES_GCM_16_128 that the peer offered)
              to fix: give both sides one common proposal, e.g. add the peer's encryption algorithm to proposals of the connection, or change the peer's list.

            """.ReplaceLineEndings("\n"), text);
    }

    [Fact]
    public void The_nearest_match_is_the_pair_sharing_most_transform_types()
    {
        string? nearest = FailureExplainer.Nearest("aes256-sha256-modp2048, aes128gcm16-prfsha256-ecp384", "aes128gcm16-prfsha256-ecp256, 3des-sha1-modp1024");
        Assert.Equal("aes128gcm16-prfsha256-ecp384 against aes128gcm16-prfsha256-ecp256: differ in key exchange group (ecp384 here, ecp256 offered)", nearest);
    }

    [Fact]
    public void An_esp_refusal_points_at_esp_proposals()
    {
        string text = FailureExplainer.Explain([Failure(102, ("Conn", "gw"), ("Uid", "1"), ("Received", "aes128gcm16"), ("Configured", "aes256gcm16"),
            ("TransformType", "ESP ENCRYPTION_ALGORITHM"), ("Lacking", "x"))], "gw");
        Assert.Contains("refused the peer's ESP (CHILD SA) proposals", text);
        Assert.Contains("missing transform type:  ENCRYPTION_ALGORITHM (x)", text);
        Assert.Contains("to esp_proposals of the child", text);
    }

    [Fact]
    public void Refusals_by_the_peer_and_authentication_failures_say_which_side_refused()
    {
        string text = FailureExplainer.Explain([
            Failure(120, ("Conn", "a"), ("Uid", "1"), ("Configured", "aes256gcm16-prfsha384-ecp384")),
            Failure(108, ("Conn", "b"), ("Uid", "2"), ("LocalId", "gw1.example.org")),
            Failure(107, ("Conn", "c"), ("Uid", "3"), ("PeerId", "mallory.example"), ("Reason", "'mallory.example' is not in certificate \"CN=client.example\"")),
        ], null);
        string[] lines = text.Split('\n');
        // Newest first.
        Assert.StartsWith("2026-11-22 02:31:05Z c[3]: this side refused the peer's authentication as 'mallory.example'", lines[0]);
        Assert.Contains("b[2]: the peer refused our authentication as 'gw1.example.org'", text);
        Assert.Contains("a[1]: the peer refused our proposals", text);
        Assert.Contains("we offered:  aes256gcm16-prfsha384-ecp384", text);
    }

    [Fact]
    public void Other_warnings_are_shown_as_logged_and_the_filter_keeps_one_connection()
    {
        NegotiationFailure other = Failure(999, ("Conn", "x"), ("Uid", "9"));
        Assert.Contains("x[9]: the raw log line", FailureExplainer.Explain([other], null));
        Assert.Equal("no negotiation of connection 'y' failed since the daemon started\n", FailureExplainer.Explain([other], "y"));
        Assert.Equal("no negotiation failed since the daemon started\n", FailureExplainer.Explain([], null));
    }

    [Fact]
    public void Certificate_dates_point_at_clocks_and_identity_mismatches_name_both_values()
    {
        string expired = FailureExplainer.Explain([Failure(107, ("Conn", "rw"), ("Uid", "5"), ("PeerId", "client.example"),
            ("Reason", "certificate \"CN=client.example\" expired on 2026-01-01 00:00:00Z"))], null);
        Assert.Contains("compare both hosts' clocks", expired);
        Assert.Contains("2026-11-22 02:31:05Z when it was checked", expired);
        string notIn = FailureExplainer.Explain([Failure(107, ("Conn", "rw"), ("Uid", "5"), ("PeerId", "mallory.example"),
            ("Reason", "'mallory.example' is not in certificate \"CN=client.example\" (subjectAltName: client.example)"))], null);
        Assert.Contains("'mallory.example' is not in certificate \"CN=client.example\" (subjectAltName: client.example)", notIn);
        Assert.Contains("is not among the names its certificate carries", notIn);
    }

    [Theory]
    [InlineData("giving up after 5 retransmits of IKE_AUTH request 1: peer not responding", "fragmentation = yes")]
    [InlineData("giving up after 5 retransmits of IKE_SA_INIT request 0: peer not responding", "UDP 500 is filtered")]
    [InlineData("no answer to INFORMATIONAL request 7 within dpd_timeout (10 s)", "NAT mapping expired")]
    public void A_silent_peer_is_explained_by_the_exchange_it_stopped_at(string reason, string hint) =>
        Assert.Contains(hint, FailureExplainer.Explain([Failure(135, ("Conn", "gw"), ("Uid", "1"), ("Reason", reason))], null));

    [Fact]
    public void A_child_sa_that_failed_for_want_of_answers_gets_the_same_hint() =>
        Assert.Contains("UDP 500 is filtered", FailureExplainer.Explain([Failure(110, ("Conn", "gw"), ("Uid", "1"), ("Child", "net"),
            ("Reason", "giving up after 5 retransmits of IKE_SA_INIT request 0: peer not responding"))], null));
}
