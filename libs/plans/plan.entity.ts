import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** What a tenant pays for: the size of its containers and the limits of its account. */
@Entity('plans')
export class Plan {
  /** Stable, human-readable id such as `hobby`. */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 80 })
  name: string;

  /** Memory (and memory+swap) of one container, in MB. */
  @Column({ name: 'memory_mb', type: 'integer' })
  memoryMb: number;

  /** CPU of one container in thousandths of a core (250 = a quarter core). */
  @Column({ name: 'cpu_millis', type: 'integer' })
  cpuMillis: number;

  /**
   * What one build of the plan may use, apart from the replica size: `npm install` at a replica's quarter
   * core took 2.3× an unlimited Docker build (issue #16). At least one core and 1 GB on the seeded plans.
   */
  @Column({ name: 'build_memory_mb', type: 'integer', default: 1024 })
  buildMemoryMb: number;

  /** Build CPU in thousandths of a core. */
  @Column({ name: 'build_cpu_millis', type: 'integer', default: 1000 })
  buildCpuMillis: number;

  @Column({ name: 'max_apps', type: 'integer' })
  maxApps: number;

  @Column({ name: 'max_replicas_per_app', type: 'integer' })
  maxReplicasPerApp: number;

  /** Sum of the memory of every running container of the tenant, in MB. */
  @Column({ name: 'max_total_memory_mb', type: 'integer' })
  maxTotalMemoryMb: number;

  @Column({ name: 'load_balancer_allowed', type: 'boolean' })
  loadBalancerAllowed: boolean;

  /** Whether the plan's apps may sleep when idle and wake on their next request (scale to zero). */
  @Column({ name: 'scale_to_zero', type: 'boolean', default: false })
  scaleToZero: boolean;

  @Column({ name: 'max_upload_mb', type: 'integer' })
  maxUploadMb: number;

  @Column({ name: 'build_timeout_seconds', type: 'integer' })
  buildTimeoutSeconds: number;

  @Column({ name: 'concurrent_builds', type: 'integer' })
  concurrentBuilds: number;

  /** Custom domains a tenant may attach to its apps (libs/ingress), verified or not. */
  @Column({ name: 'max_custom_domains', type: 'integer', default: 0 })
  maxCustomDomains: number;

  /**
   * Builds kept per app: older finished builds lose their sources, logs and (unless a kept release still
   * runs it) their image in the background (libs/builds/retention).
   */
  @Column({ name: 'build_retention', type: 'integer', default: 20 })
  buildRetention: number;

  /**
   * Days the tenant's events (GET /v1/events) are kept; older ones are deleted in the background
   * (libs/retention), except one a webhook delivery still retries.
   */
  @Column({ name: 'event_retention_days', type: 'integer', default: 7 })
  eventRetentionDays: number;

  /** Finished one-off runs per app whose output is kept; older runs keep their row, their output goes. */
  @Column({ name: 'run_retention', type: 'integer', default: 50 })
  runRetention: number;

  /**
   * Days an app's log lines are kept after the day they were written (libs/logs/archive): a line stays at
   * least this long and at most a day longer (whole days expire at once).
   */
  @Column({ name: 'log_retention_days', type: 'integer', default: 1 })
  logRetentionDays: number;

  /** MB of log text an app may keep per UTC day; later lines that day are counted, not kept. */
  @Column({ name: 'log_mb_per_day', type: 'integer', default: 100 })
  logMbPerDay: number;

  /** The plan a signup lands on; exactly one plan has it. */
  @Column({ name: 'is_default', type: 'boolean', default: false })
  isDefault: boolean;

  /** A retired plan is not offered any more; tenants already on it keep it. */
  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

export type PlanLimitValues = Pick<
  Plan,
  | 'memoryMb'
  | 'cpuMillis'
  | 'buildMemoryMb'
  | 'buildCpuMillis'
  | 'maxApps'
  | 'maxReplicasPerApp'
  | 'maxTotalMemoryMb'
  | 'loadBalancerAllowed'
  | 'scaleToZero'
  | 'maxUploadMb'
  | 'buildTimeoutSeconds'
  | 'concurrentBuilds'
  | 'maxCustomDomains'
  | 'buildRetention'
  | 'eventRetentionDays'
  | 'runRetention'
  | 'logRetentionDays'
  | 'logMbPerDay'
>;

/** The limits a plan sets, without its identity or bookkeeping: what quota views show. */
export function limitsOf(plan: Plan): PlanLimitValues {
  return {
    memoryMb: plan.memoryMb,
    cpuMillis: plan.cpuMillis,
    buildMemoryMb: plan.buildMemoryMb,
    buildCpuMillis: plan.buildCpuMillis,
    maxApps: plan.maxApps,
    maxReplicasPerApp: plan.maxReplicasPerApp,
    maxTotalMemoryMb: plan.maxTotalMemoryMb,
    loadBalancerAllowed: plan.loadBalancerAllowed,
    scaleToZero: plan.scaleToZero,
    maxUploadMb: plan.maxUploadMb,
    buildTimeoutSeconds: plan.buildTimeoutSeconds,
    concurrentBuilds: plan.concurrentBuilds,
    maxCustomDomains: plan.maxCustomDomains,
    buildRetention: plan.buildRetention,
    eventRetentionDays: plan.eventRetentionDays,
    runRetention: plan.runRetention,
    logRetentionDays: plan.logRetentionDays,
    logMbPerDay: plan.logMbPerDay,
  };
}
