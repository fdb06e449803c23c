//! Sentry's own workloads as its chart renders them from lgtmc's values: the values key each is
//! sized under (`sentry.<key>.resources`, `snuba.<key>.resources`), the Deployment's name, and the
//! container key of its size (every consumer of one kind shares one). The chart's subcharts are
//! not here: they are not in lgtmc's reference (see `catalogue::not_counted`).

/// The workloads under `sentry:`: values key, Deployment, size key.
/// Every consumer of one kind shares one size key.
pub const SENTRY_WORKLOADS: &[(&str, &str, &str)] = &[
    ("web", "sentry-web", "sentry-web"),
    ("worker", "sentry-worker", "sentry-worker"),
    ("cron", "sentry-cron", "sentry-cron"),
    (
        "ingestConsumerAttachments",
        "sentry-ingest-consumer-attachments",
        "sentry-consumer",
    ),
    (
        "ingestConsumerEvents",
        "sentry-ingest-consumer-events",
        "sentry-consumer",
    ),
    (
        "ingestConsumerTransactions",
        "sentry-ingest-consumer-transactions",
        "sentry-consumer",
    ),
    (
        "ingestReplayRecordings",
        "sentry-ingest-replay-recordings",
        "sentry-consumer",
    ),
    (
        "ingestOccurrences",
        "sentry-ingest-occurrences",
        "sentry-consumer",
    ),
    (
        "ingestMonitors",
        "sentry-ingest-monitors",
        "sentry-consumer",
    ),
    (
        "billingMetricsConsumer",
        "sentry-billing-metrics-consumer",
        "sentry-consumer",
    ),
    (
        "genericMetricsConsumer",
        "sentry-generic-metrics-consumer",
        "sentry-consumer",
    ),
    (
        "metricsConsumer",
        "sentry-metrics-consumer",
        "sentry-consumer",
    ),
    (
        "postProcessForwardErrors",
        "sentry-post-process-forward-errors",
        "sentry-consumer",
    ),
    (
        "postProcessForwardTransactions",
        "sentry-post-process-forward-transactions",
        "sentry-consumer",
    ),
    (
        "postProcessForwardIssuePlatform",
        "sentry-post-process-forward-issue-platform",
        "sentry-consumer",
    ),
    (
        "subscriptionConsumerEvents",
        "sentry-subscription-consumer-events",
        "sentry-consumer",
    ),
    (
        "subscriptionConsumerTransactions",
        "sentry-subscription-consumer-transactions",
        "sentry-consumer",
    ),
    (
        "subscriptionConsumerGenericMetrics",
        "sentry-subscription-consumer-generic-metrics",
        "sentry-consumer",
    ),
    (
        "subscriptionConsumerMetrics",
        "sentry-subscription-consumer-metrics",
        "sentry-consumer",
    ),
];

/// Snuba's workloads (values key under `snuba:`, Deployment, size key).
pub const SNUBA_WORKLOADS: &[(&str, &str, &str)] = &[
    ("api", "sentry-snuba-api", "snuba-api"),
    ("consumer", "sentry-snuba-consumer", "snuba-consumer"),
    (
        "outcomesConsumer",
        "sentry-snuba-outcomes-consumer",
        "snuba-consumer",
    ),
    (
        "outcomesBillingConsumer",
        "sentry-snuba-outcomes-billing-consumer",
        "snuba-consumer",
    ),
    ("replacer", "sentry-snuba-replacer", "snuba-consumer"),
    (
        "metricsConsumer",
        "sentry-snuba-metrics-consumer",
        "snuba-consumer",
    ),
    (
        "subscriptionConsumerEvents",
        "sentry-snuba-subscription-consumer-events",
        "snuba-consumer",
    ),
    (
        "genericMetricsCountersConsumer",
        "sentry-snuba-generic-metrics-counters-consumer",
        "snuba-consumer",
    ),
    (
        "genericMetricsDistributionConsumer",
        "sentry-snuba-generic-metrics-distributions-consumer",
        "snuba-consumer",
    ),
    (
        "genericMetricsSetsConsumer",
        "sentry-snuba-generic-metrics-sets-consumer",
        "snuba-consumer",
    ),
    (
        "subscriptionConsumerMetrics",
        "sentry-snuba-subscription-consumer-metrics",
        "snuba-consumer",
    ),
    (
        "subscriptionConsumerTransactions",
        "sentry-snuba-subscription-consumer-transactions",
        "snuba-consumer",
    ),
    (
        "replaysConsumer",
        "sentry-snuba-replays-consumer",
        "snuba-consumer",
    ),
    (
        "transactionsConsumer",
        "sentry-snuba-transactions-consumer",
        "snuba-consumer",
    ),
    (
        "issueOccurrenceConsumer",
        "sentry-issue-occurrence-consumer",
        "snuba-consumer",
    ),
    (
        "spansConsumer",
        "sentry-snuba-spans-consumer",
        "snuba-consumer",
    ),
    (
        "groupAttributesConsumer",
        "sentry-snuba-group-attributes-consumer",
        "snuba-consumer",
    ),
];
