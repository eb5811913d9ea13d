import Metrics
public import Prometheus
import Synchronization

/// Prometheus wiring for ``SinkMetrics``: a factory that knows the sink's histogram buckets, and a
/// once-per-process bootstrap of swift-metrics.
public enum MetricsBootstrap {
    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// A `PrometheusMetricsFactory` over `registry` with the buckets of ``SinkMetrics/appendDurationBuckets``
    /// and ``SinkMetrics/commitDurationBuckets`` for the latency histograms.
    public static func makePrometheusFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[SinkMetricName.appendDuration] = SinkMetrics.appendDurationBuckets
        factory.durationHistogramBuckets[SinkMetricName.commitDuration] = SinkMetrics.commitDurationBuckets
        return factory
    }

    /// Bootstraps `MetricsSystem` with ``makePrometheusFactory(registry:)`` over a new registry on the first
    /// call and returns that registry; later calls return the same registry without bootstrapping again.
    ///
    /// Serve the returned registry with ``HealthServer``. Every swift-metrics user in the process (the sink,
    /// libraries) then appears on `/metrics`.
    /// - Important: `MetricsSystem.bootstrap` may run once per process; if other code bootstraps it first, that
    ///   call traps. Call this from the composition root only.
    @discardableResult
    public static func bootstrapPrometheus() -> PrometheusCollectorRegistry {
        bootstrapped.withLock { registry in
            if let registry { return registry }
            let created = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(makePrometheusFactory(registry: created))
            registry = created
            return created
        }
    }
}

extension SinkMetrics {
    /// Metrics registered in `registry` (with the sink's histogram buckets), independent of `MetricsSystem`:
    /// the form tests use.
    public convenience init(registry: PrometheusCollectorRegistry) {
        self.init(factory: MetricsBootstrap.makePrometheusFactory(registry: registry))
    }
}
