//! The one schema for both backends; migrations under `migrations/{sqlite,postgres}` must match it.

diesel::table! {
    jurisdictions (code) {
        code -> Text,
        province -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        name_en -> Text,
        name_zh -> Text,
    }
}

diesel::table! {
    organizations (id) {
        id -> BigInt,
        kind -> Text,
        name_en -> Text,
        name_zh -> Text,
        jurisdiction_code -> Text,
        uscc -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        organization_id -> Nullable<BigInt>,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        locale -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        token_version -> BigInt,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    calendar_feeds (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        resource_id -> Nullable<BigInt>,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    console_sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        token_version -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        organization_id -> BigInt,
        url -> Text,
        events -> Text,
        description -> Text,
        secret_sealed -> Text,
        status -> Text,
        paused_reason -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_key -> Text,
        message_id -> Text,
        event_type -> Text,
        ordering_key -> Nullable<Text>,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        claim_token -> Nullable<Text>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
    }
}

diesel::table! {
    resources (id) {
        id -> BigInt,
        organization_id -> BigInt,
        kind -> Text,
        name_en -> Text,
        name_zh -> Text,
        category -> Text,
        specs -> Text,
        search_text -> Text,
        original_value_cny -> BigInt,
        jurisdiction_code -> Text,
        location -> Text,
        timezone -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        capacity -> BigInt,
        unit -> Text,
        granularity_min -> Integer,
        min_duration_min -> Integer,
        max_duration_min -> Integer,
        lead_time_min -> Integer,
        cancel_lead_time_min -> Integer,
        advance_window_days -> Integer,
        setup_min -> Integer,
        teardown_min -> Integer,
        approval_policy -> Text,
        conflict_policy -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        longest_block_min -> Integer,
        no_show_grace_min -> Integer,
        self_operation -> Text,
    }
}

diesel::table! {
    resource_specs (resource_id, key) {
        resource_id -> BigInt,
        key -> Text,
        num_value -> Double,
    }
}

diesel::table! {
    resource_rates (resource_id, category) {
        resource_id -> BigInt,
        category -> Text,
        fen_per_unit_hour -> BigInt,
        per -> Text,
    }
}

diesel::table! {
    resource_operators (resource_id, user_id) {
        resource_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    opening_rules (id) {
        id -> BigInt,
        resource_id -> BigInt,
        weekday -> Integer,
        start_min -> Integer,
        end_min -> Integer,
    }
}

diesel::table! {
    opening_exceptions (id) {
        id -> BigInt,
        resource_id -> BigInt,
        day -> Date,
        start_min -> Nullable<Integer>,
        end_min -> Nullable<Integer>,
        reason -> Text,
    }
}

diesel::table! {
    blackouts (id) {
        id -> BigInt,
        resource_id -> BigInt,
        start_at -> Timestamp,
        end_at -> Timestamp,
        reason -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bookings (id) {
        id -> BigInt,
        resource_id -> BigInt,
        booker_id -> BigInt,
        organization_id -> BigInt,
        state -> Text,
        blocking -> Bool,
        exclusive -> Bool,
        start_at -> Timestamp,
        end_at -> Timestamp,
        block_start -> Timestamp,
        block_end -> Timestamp,
        quantity -> BigInt,
        purpose -> Text,
        wants_waitlist -> Bool,
        series_id -> Nullable<Text>,
        pending_deadline -> Nullable<Timestamp>,
        operator_assisted -> Bool,
        check_in_at -> Nullable<Timestamp>,
        check_out_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        customer_category -> Text,
        rate_fen -> BigInt,
        gross_fen -> BigInt,
        purpose_kind -> Text,
        voucher_id -> Nullable<BigInt>,
        voucher_share_fen -> BigInt,
        final_gross_fen -> Nullable<BigInt>,
        final_voucher_fen -> Nullable<BigInt>,
        used_unit_minutes -> Nullable<BigInt>,
        shift_min -> Nullable<Integer>,
    }
}

diesel::table! {
    booking_events (id) {
        id -> BigInt,
        booking_id -> BigInt,
        actor_id -> Nullable<BigInt>,
        event -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        reason -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> BigInt,
        key -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_failures (key) {
        key -> Text,
        window_start -> Timestamp,
        failures -> BigInt,
    }
}

diesel::table! {
    qualifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        resource_id -> BigInt,
        granted_by -> BigInt,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    voucher_programs (id) {
        id -> BigInt,
        code -> Text,
        issuer_id -> BigInt,
        issuer_province -> Text,
        name_en -> Text,
        name_zh -> Text,
        kind -> Text,
        ratio_bps -> BigInt,
        annual_cap_fen -> BigInt,
        valid_from -> Date,
        valid_until -> Date,
        accepted_provinces -> Text,
        eligible_kinds -> Text,
        eligible_categories -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    vouchers (id) {
        id -> BigInt,
        program_id -> BigInt,
        enterprise_id -> BigInt,
        status -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    voucher_ledger (id) {
        id -> BigInt,
        voucher_id -> BigInt,
        movement -> Text,
        amount_fen -> BigInt,
        booking_id -> Nullable<BigInt>,
        reverses_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        year -> Integer,
        at -> Timestamp,
        allocation_id -> Nullable<BigInt>,
        service_order_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    use_months (resource_id, organization_id, voucher_id, month) {
        resource_id -> BigInt,
        organization_id -> BigInt,
        voucher_id -> BigInt,
        month -> Text,
        unit_minutes -> BigInt,
        fee_fen -> BigInt,
        voucher_fen -> BigInt,
        uses -> BigInt,
    }
}

diesel::table! {
    user_months (resource_id, user_key, month) {
        resource_id -> BigInt,
        user_key -> Text,
        month -> Text,
    }
}

diesel::table! {
    ending_months (resource_id, month) {
        resource_id -> BigInt,
        month -> Text,
        due -> BigInt,
        no_shows -> BigInt,
        late_cancels -> BigInt,
    }
}

diesel::table! {
    use_bounds (resource_id) {
        resource_id -> BigInt,
        longest_use_min -> BigInt,
    }
}

diesel::table! {
    rollup_state (name) {
        name -> Text,
        built_at -> Timestamp,
    }
}

diesel::table! {
    allocations (id) {
        id -> BigInt,
        resource_id -> BigInt,
        organization_id -> BigInt,
        requester_id -> BigInt,
        project -> Text,
        account -> Text,
        state -> Text,
        starts_on -> Date,
        ends_on -> Date,
        requested_unit_hours -> BigInt,
        granted_unit_hours -> Nullable<BigInt>,
        customer_category -> Text,
        rate_fen -> BigInt,
        purpose_kind -> Text,
        voucher_id -> Nullable<BigInt>,
        accepted_co_payment_fen -> Nullable<BigInt>,
        voucher_share_fen -> BigInt,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    usage_imports (id) {
        id -> BigInt,
        resource_id -> BigInt,
        digest -> Text,
        source -> Text,
        records -> BigInt,
        skipped_duplicates -> BigInt,
        imported_by -> BigInt,
        at -> Timestamp,
    }
}

diesel::table! {
    usage_records (id) {
        id -> BigInt,
        import_id -> BigInt,
        line -> BigInt,
        resource_id -> BigInt,
        allocation_id -> BigInt,
        job_id -> Nullable<Text>,
        account -> Text,
        user_name -> Text,
        started_at -> Timestamp,
        ended_at -> Timestamp,
        units -> BigInt,
        unit_minutes -> BigInt,
        overage_minutes -> BigInt,
        fee_fen -> BigInt,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        dedupe_key -> Text,
        kind -> Text,
        user_id -> Nullable<BigInt>,
        to_address -> Text,
        locale -> Text,
        subject -> Text,
        booking_id -> Nullable<BigInt>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        message_key -> Nullable<Text>,
        claim_token -> Nullable<Text>,
    }
}

diesel::table! {
    resource_ratings (resource_id) {
        resource_id -> BigInt,
        rated_hours_per_year -> Integer,
    }
}

diesel::table! {
    resource_reminders (resource_id) {
        resource_id -> BigInt,
        minutes_before -> Integer,
    }
}

diesel::joinable!(vouchers -> voucher_programs (program_id));
diesel::joinable!(usage_records -> allocations (allocation_id));
diesel::joinable!(bookings -> resources (resource_id));
diesel::joinable!(booking_events -> bookings (booking_id));
diesel::joinable!(organizations -> jurisdictions (jurisdiction_code));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(calendar_feeds -> users (user_id));
diesel::joinable!(console_sessions -> users (user_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(resources -> organizations (organization_id));
diesel::joinable!(resources -> jurisdictions (jurisdiction_code));
diesel::joinable!(resource_specs -> resources (resource_id));
diesel::joinable!(resource_rates -> resources (resource_id));
diesel::joinable!(resource_operators -> resources (resource_id));
diesel::joinable!(opening_rules -> resources (resource_id));
diesel::joinable!(opening_exceptions -> resources (resource_id));
diesel::joinable!(blackouts -> resources (resource_id));

diesel::table! {
    beam_calls (id) {
        id -> BigInt,
        organization_id -> BigInt,
        title_en -> Text,
        title_zh -> Text,
        description -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        reviews_due_at -> Timestamp,
        beam_from -> Timestamp,
        beam_to -> Timestamp,
        criteria -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        allocated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    beam_call_reviewers (call_id, user_id) {
        call_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    beam_proposals (id) {
        id -> BigInt,
        call_id -> BigInt,
        resource_id -> BigInt,
        proposer_id -> BigInt,
        organization_id -> BigInt,
        title -> Text,
        #[sql_name = "abstract"]
        summary -> Text,
        shifts_requested -> BigInt,
        preferred_dates -> Text,
        unavailable_dates -> Text,
        team -> Text,
        decision -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        version -> BigInt,
        submitted_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    beam_shifts (id) {
        id -> BigInt,
        call_id -> BigInt,
        resource_id -> BigInt,
        start_at -> Timestamp,
        end_at -> Timestamp,
        proposal_id -> Nullable<BigInt>,
        booking_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    beam_assignments (proposal_id, reviewer_id) {
        proposal_id -> BigInt,
        reviewer_id -> BigInt,
    }
}

diesel::table! {
    beam_reviews (proposal_id, reviewer_id) {
        proposal_id -> BigInt,
        reviewer_id -> BigInt,
        scores -> Text,
        comment -> Text,
        reviewed_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    jurisdictions,
    organizations,
    users,
    api_tokens,
    calendar_feeds,
    console_sessions,
    webhooks,
    webhook_deliveries,
    webhook_attempts,
    resources,
    resource_specs,
    resource_rates,
    resource_operators,
    opening_rules,
    opening_exceptions,
    blackouts,
    bookings,
    booking_events,
    idempotency_keys,
    sign_in_failures,
    qualifications,
    voucher_programs,
    vouchers,
    voucher_ledger,
    allocations,
    use_months,
    user_months,
    ending_months,
    rollup_state,
    use_bounds,
    usage_imports,
    usage_records,
    outbox,
    resource_reminders,
    resource_ratings,
    services,
    service_orders,
    service_order_events,
    service_reports,
    beam_calls,
    beam_call_reviewers,
    beam_proposals,
    beam_shifts,
    beam_assignments,
    beam_reviews,
);

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        organization_id -> Nullable<BigInt>,
        subject_kind -> Text,
        subject_id -> BigInt,
        action -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        reason -> Nullable<Text>,
        party_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    settlement_statements (id) {
        id -> BigInt,
        issuer_id -> BigInt,
        provider_id -> BigInt,
        period_from -> Date,
        period_to -> Date,
        amount_fen -> BigInt,
        line_count -> BigInt,
        status -> Text,
        issued_at -> Timestamp,
        agreed_at -> Nullable<Timestamp>,
        paid_at -> Nullable<Timestamp>,
        payment_reference -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        closed_reason -> Nullable<Text>,
    }
}

diesel::table! {
    settlement_lines (statement_id, entry_id) {
        statement_id -> BigInt,
        entry_id -> BigInt,
        live -> Bool,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    settlement_lines,
    settlement_statements,
    voucher_ledger
);

diesel::table! {
    /// A message's bodies, written once with it; its delivery state is the small outbox row.
    outbox_contents (message_id) {
        message_id -> BigInt,
        text_body -> Text,
        html_body -> Text,
        ics -> Nullable<Text>,
    }
}

diesel::joinable!(outbox_contents -> outbox (message_id));
diesel::allow_tables_to_appear_in_same_query!(outbox, outbox_contents);

diesel::table! {
    /// A published service, such as sample testing, priced per sample.
    services (id) {
        id -> BigInt,
        organization_id -> BigInt,
        resource_id -> Nullable<BigInt>,
        name_en -> Text,
        name_zh -> Text,
        measures -> Text,
        sample_requirements -> Text,
        category -> Text,
        price_internal_fen -> BigInt,
        price_academic_fen -> BigInt,
        price_enterprise_fen -> BigInt,
        turnaround_days -> Integer,
        voucher_purposes -> Text,
        status -> Text,
        search_text -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_orders (id) {
        id -> BigInt,
        service_id -> BigInt,
        provider_id -> BigInt,
        resource_id -> Nullable<BigInt>,
        organization_id -> BigInt,
        requester_id -> BigInt,
        samples -> BigInt,
        notes -> Text,
        purpose_kind -> Text,
        customer_category -> Text,
        price_fen -> BigInt,
        gross_fen -> BigInt,
        voucher_id -> Nullable<BigInt>,
        accepted_co_payment_fen -> Nullable<BigInt>,
        voucher_share_fen -> BigInt,
        state -> Text,
        reason -> Nullable<Text>,
        due_on -> Nullable<Date>,
        samples_measured -> Nullable<BigInt>,
        final_gross_fen -> Nullable<BigInt>,
        final_voucher_fen -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_order_events (id) {
        id -> BigInt,
        order_id -> BigInt,
        event -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        actor_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    service_reports (order_id) {
        order_id -> BigInt,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        content -> Binary,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
    }
}

diesel::joinable!(service_orders -> services (service_id));
diesel::joinable!(service_order_events -> service_orders (order_id));
diesel::joinable!(service_reports -> service_orders (order_id));
diesel::joinable!(beam_proposals -> beam_calls (call_id));
diesel::joinable!(beam_shifts -> beam_calls (call_id));
diesel::joinable!(beam_assignments -> beam_proposals (proposal_id));
diesel::joinable!(beam_reviews -> beam_proposals (proposal_id));
