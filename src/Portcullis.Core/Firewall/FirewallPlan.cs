namespace Portcullis.Core.Firewall;

/// <summary>
/// A generated ruleset before it is written in a syntax: the rules in order per chain, the notes every format prints
/// at the top, and the reasoning per connection for <c>--explain</c>.
/// </summary>
public sealed class FirewallPlan
{
    /// <summary>The rules, in the order they are written within each chain.</summary>
    public required IReadOnlyList<FirewallRule> Rules { get; init; }

    /// <summary>Whether the filter chains drop what no rule accepts (this server), or accept it (the NAT front's rules are additions).</summary>
    public bool DropByDefault { get; init; } = true;

    /// <summary>Whole-ruleset remarks (the policy-match finding, L2TP, what else to allow), written as comments.</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>For <c>--explain</c>: a heading and its lines per connection, plus general sections.</summary>
    public required IReadOnlyList<(string Heading, IReadOnlyList<string> Lines)> Explanation { get; init; }

    /// <summary>Problems that make the ruleset impossible (e.g. <c>--front</c> without a server address).</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];
}
